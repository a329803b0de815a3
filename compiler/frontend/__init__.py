"""The compiler's front end: lowering a model to the IR, passes, emitting assembly."""
