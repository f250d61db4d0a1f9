#!/bin/bash
# Arithmetic: operators, bases, 64-bit wrap, let, errors.
echo $(( 7 / 2 )) $(( -7 / 2 )) $(( -7 % 3 )) $(( 2 ** 10 ))
echo $(( 16#ff )) $(( 2#1010 )) $(( 0x10 )) $(( 010 )) $(( 36#z ))
echo $(( 2 ** 63 )) $(( 9223372036854775807 + 1 ))
echo $(( 1 << 40 )) $(( -1 >> 1 )) $(( 5 & 3 )) $(( 5 | 3 )) $(( 5 ^ 3 )) $(( ~5 ))
x=5; (( x += 3, x *= 2 )); echo "x=$x"
echo $(( x > 10 ? 1 : 0 )) $(( x++ )) $(( ++x )) $x
let "y = x * 2" "z = y - 1"; echo "y=$y z=$z"
declare -i n=3; n+=4; n="n * 2"; echo "n=$n"
echo $(( 1 / 0 )) 2>&1 || echo "status $?"
(( 0 )); echo "(( 0 )) status $?"
echo $(( $(printf '%d' "'A") ))
