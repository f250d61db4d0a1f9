#!/bin/bash
# Parameter expansion on strings.
s="Hello, pikern world"
echo "${#s} ${s:7} ${s:7:6} ${s: -5}"
echo "${s/o/0} ${s//o/0} ${s/#Hello/Bye} ${s/%world/there}"
f=archive.tar.gz
echo "${f#*.} ${f##*.} ${f%.*} ${f%%.*}"
echo "${s^^} ${s,,} ${s^} ${f^^[aeiou]}"
unset u; echo "${u:-default} ${u-unset} ${u:+alt} [${s:+alt}]"
: ${u:=assigned}; echo "$u"
printf -v p '%05d|%-6s|%x|%.3f' 42 ab 255 3.14159; echo "$p"
q='it'"'"'s $x'; echo "${q@Q}"
printf '%q\n' "a b;c"
IFS=: read -r one two rest <<< "a:b:c:d"; echo "$one $two $rest"
str=abcabc; echo "${str//b}"
arr=(x.c y.c z.h); echo "${arr[@]%.c}"
echo "${!s*}" >/dev/null; echo "indirect: $( n=s; echo ${!n} )"
