; Sobel edge magnitude per pixel, streaming the pixels of three image rows
; (top, middle, bottom) through a hardware loop: each iteration reads the next
; column of the 3x3 window, outputs sqrt(gx^2 + gy^2) for the window's centre
; and shifts the window by one column. A 16-pixel row gives 14 outputs.
.target zynq7020-single
.input  top 0
.input  mid 1
.input  bot 2
.output mag 0
.const  two = 2.0

        in   l0, top          ; the first two columns of the window
        in   l1, mid
        in   l2, bot
        in   c0, top
        in   c1, mid
        in   c2, bot
        loop 14
        in   r0, top          ; the new right-hand column
        in   r1, mid
        in   r2, bot
        mul  m, l1, two       ; gx = (r0 + 2 r1 + r2) - (l0 + 2 l1 + l2)
        add  a, l0, l2
        add  lsum, a, m
        mul  m, r1, two
        add  a, r0, r2
        add  rsum, a, m
        sub  gx, rsum, lsum
        mul  m, c0, two       ; gy = (l2 + 2 c2 + r2) - (l0 + 2 c0 + r0)
        add  a, l0, r0
        add  tsum, a, m
        mul  m, c2, two
        add  a, l2, r2
        add  bsum, a, m
        sub  gy, bsum, tsum
        sqr  gx2, gx
        sqr  gy2, gy
        add  g2, gx2, gy2
        sqrt g, g2
        out  mag, g
        mov  l0, c0           ; shift the window left by one column
        mov  l1, c1
        mov  l2, c2
        mov  c0, r0
        mov  c1, r1
        mov  c2, r2
        endloop
        halt
