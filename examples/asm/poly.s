; Multi-output polynomial evaluation by Horner's rule: a sensor
; characteristic p(x) = 3x^3 - 2x^2 + 0.5x + 1 and its slope p'(x) = 9x^2 - 4x + 0.5,
; plus p(x) clamped to [0, 10], on three output ports.
.target zynq7020-single
.input  x 0
.output p 0
.output dp 1
.output pc 2

        in   v, x
        mul  h, v, 3.0
        add  h, h, -2.0
        mul  h, h, v
        add  h, h, 0.5
        mul  h, h, v
        add  h, h, 1.0
        mul  g, v, 9.0
        add  g, g, -4.0
        mul  g, g, v
        add  g, g, 0.5
        max  c, h, 0.0
        min  c, c, 10.0
        out  p, h
        out  dp, g
        out  pc, c
        halt
