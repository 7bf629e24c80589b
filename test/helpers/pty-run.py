# Runs a command on a pseudo-terminal (python3's pty module: no package to install), so the
# command sees a terminal on stdin and stdout. Bytes written to this script's stdin are typed
# on the terminal ("\x03" is Ctrl-C, "\x04" Ctrl-D), everything the command writes comes out
# on this script's stdout, and its exit status is this script's (128 + N for signal N).
# Usage: python3 pty-run.py COLUMNS ROWS command [args...]
import fcntl
import os
import pty
import select
import struct
import sys
import termios

columns, rows = int(sys.argv[1]), int(sys.argv[2])
pid, master = pty.fork()
if pid == 0:
    os.execvp(sys.argv[3], sys.argv[3:])

fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack('HHHH', rows, columns, 0, 0))
stdin_open = True
while True:
    readable = [master] + ([0] if stdin_open else [])
    ready, _, _ = select.select(readable, [], [], 0.1)
    if master in ready:
        try:
            data = os.read(master, 65536)
        except OSError:  # the command is gone and the terminal closed
            data = b''
        if not data:
            break
        os.write(1, data)
    if 0 in ready:
        data = os.read(0, 65536)
        if data:
            os.write(master, data)
        else:
            stdin_open = False  # typing stops; the terminal stays open
_, status = os.waitpid(pid, 0)
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
