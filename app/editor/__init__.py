"""The graphical editor (PySide6): a thin Qt layer over the model core.

Only ``vtc.app`` imports Qt. The document (:mod:`.document`) owns the model;
every edit is one ``QUndoCommand`` that swaps in the new model computed by a
pure function of :mod:`vtc.compiler.model.edit`; long work (compile,
simulate) runs in a worker thread through :mod:`vtc.compiler.driver`.
"""
