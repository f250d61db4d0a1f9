#!/bin/bash
# Traps: EXIT, a signal sent to this shell, ERR, RETURN, a subshell's own.
trap 'echo "EXIT trap, status $?"' EXIT
trap 'echo "got USR1"' USR1
kill -USR1 $$
echo "after USR1"
trap 'echo "ERR trap: line $LINENO"' ERR
false
trap - ERR
f() { trap 'echo "RETURN from f"' RETURN; echo "in f"; }
f
trap -p USR1
( trap 'echo "subshell EXIT"' EXIT; echo "in subshell" )
trap '' TERM
kill -TERM $$
echo "TERM ignored"
trap - TERM
(trap 'echo "INT caught in child"; exit 3' INT; kill -INT $BASHPID; echo "not reached") 
echo "child status $?"
exit 4
