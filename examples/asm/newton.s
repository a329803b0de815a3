; Newton's iteration for the square root: r = sqrt(a) for a > 0, from the
; start value (1 + a) / 2, eight steps of x = (x + a / x) / 2 in a hardware loop.
.target zynq7020-single
.input  a 0
.output r 0
.const  half = 0.5, one = 1.0

        in   av, a
        add  s, av, one
        mul  x, s, half
        loop 8
        div  q, av, x
        add  t, x, q
        mul  x, t, half
        endloop
        out  r, x
        halt
