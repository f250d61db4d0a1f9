#!/bin/bash
# Here-documents and here-strings.
name=pikern
cat <<EOF2
expanded: $name $((1 + 2)) $(echo cmd)
EOF2
cat <<'EOF2'
literal: $name $((1 + 2))
EOF2
cat <<-EOF2
	tabs stripped: $name
		inner tab too
	EOF2
tr a-z A-Z <<< "here-string $name"
read -r a b <<< "first second"
echo "$b $a"
while read -r k v; do echo "$k -> $v"; done <<EOF2
one 1
two 2
EOF2
f() { cat; }
f <<EOF2 | wc -l
x
y
EOF2
