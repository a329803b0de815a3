; A streaming filter: exponential smoothing (first-order IIR low-pass) of 64
; input samples per run in one hardware loop, one output per sample.
;   s = alpha * u + (1 - alpha) * s
.target zynq7020-single
.input  x 0
.output y 0
.const  alpha = 0.125, beta = 0.875
.state  s = 0.0

        loop 64
        in   u, x
        mul  a, u, alpha
        mul  b, s, beta
        add  s, a, b
        out  y, s
        endloop
        halt
