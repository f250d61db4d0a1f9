#!/bin/bash
# Process substitution both ways, and reading a loop from one.
n=0
while read -r line; do n=$((n + 1)); last=$line; done < <(printf 'a\nb\nc\n')
echo "read $n lines, last $last (the loop ran in this shell)"
cat <(echo first) <(echo second)
paste_like() { local l r; while read -r l <&3 && read -r r <&4; do echo "$l:$r"; done 3<"$1" 4<"$2"; }
paste_like <(printf '1\n2\n3\n') <(printf 'one\ntwo\nthree\n')
echo "sorted:" > >(sort)
wait $!
printf '%s\n' c a b > >(sort > /tmp/procsubst.$$)
wait $!
cat /tmp/procsubst.$$; rm -f /tmp/procsubst.$$
[[ $(echo <(true)) == /dev/fd/* ]] && echo "a /dev/fd path"
