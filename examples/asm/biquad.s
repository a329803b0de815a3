; One step of a biquad (direct form I) per run: a second-order Butterworth
; low-pass with its cut-off at a quarter of the sample rate.
;   y[k] = b0 x[k] + b1 x[k-1] + b2 x[k-2] - a1 y[k-1] - a2 y[k-2]
.target zynq7020-single
.input  x 0
.output y 0
.const  b0 = 0.29289322, b1 = 0.58578644, b2 = 0.29289322, a1 = 0.0, a2 = 0.17157288
.state  x1 = 0.0, x2 = 0.0, y1 = 0.0, y2 = 0.0   ; persistent between runs

        in   u, x
        mul  t0, u, b0
        mul  t1, x1, b1
        mul  t2, x2, b2
        mul  t3, y1, a1
        mul  t4, y2, a2
        add  s0, t0, t1
        add  s1, s0, t2
        sub  s2, s1, t3
        sub  acc, s2, t4
        mov  x2, x1
        mov  x1, u
        mov  y2, y1
        mov  y1, acc
        out  y, acc
        halt
