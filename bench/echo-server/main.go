// The benchmark's native echo server: gorilla/websocket (Debian's
// golang-github-gorilla-websocket-dev), built offline in GOPATH mode by bench/bench.sh.
//
// It echoes every message back as ONE frame of the same type (text/binary), like the
// `ws` reference server, on two listeners of the same process: plain (ws://) and TLS
// (wss://). The path selects permessage-deflate: "/deflate" enables it (gorilla offers
// no-context-takeover only), every other path refuses it.
//
// So that the server is not the bottleneck for many small pipelined messages, writes are
// coalesced: a connection's writes are buffered and flushed just before the connection
// next reads from the kernel (i.e. once everything already received has been echoed), and
// whenever more than 64 KiB is pending. Nothing is ever left unflushed while it waits.
//
// Prints one line "{"ws":PORT,"wss":PORT}" on stdout when it is listening.
package main

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

const flushThreshold = 64 << 10

// coalescingConn buffers writes until the next Read (or until flushThreshold is reached).
type coalescingConn struct {
	net.Conn
	tcp         *net.TCPConn
	mu          sync.Mutex
	pending     []byte
	hasDeadline bool
	err         error
}

func (c *coalescingConn) flushLocked(extra []byte) error {
	if c.err != nil {
		return c.err
	}
	var err error
	switch {
	case len(c.pending) > 0 && len(extra) > 0:
		bufs := net.Buffers{c.pending, extra} // one writev
		_, err = bufs.WriteTo(c.tcp)
	case len(c.pending) > 0:
		_, err = c.tcp.Write(c.pending)
	case len(extra) > 0:
		_, err = c.tcp.Write(extra)
	}
	c.pending = c.pending[:0]
	if cap(c.pending) > 4*flushThreshold {
		c.pending = nil
	}
	c.err = err
	return err
}

func (c *coalescingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending)+len(p) <= flushThreshold {
		if c.err != nil {
			return 0, c.err
		}
		c.pending = append(c.pending, p...)
		return len(p), nil
	}
	if err := c.flushLocked(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (c *coalescingConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	if len(c.pending) > 0 {
		if err := c.flushLocked(nil); err != nil {
			c.mu.Unlock()
			return 0, err
		}
	}
	c.mu.Unlock()
	return c.tcp.Read(p)
}

// SetWriteDeadline: gorilla sets a zero deadline before every frame; skip that syscall-free
// but not free runtime call when nothing changes.
func (c *coalescingConn) SetWriteDeadline(t time.Time) error {
	if t.IsZero() && !c.hasDeadline {
		return nil
	}
	c.hasDeadline = !t.IsZero()
	return c.tcp.SetWriteDeadline(t)
}

func (c *coalescingConn) Close() error {
	c.mu.Lock()
	c.flushLocked(nil)
	c.mu.Unlock()
	return c.tcp.Close()
}

type coalescingListener struct{ net.Listener }

func (l coalescingListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tcp := conn.(*net.TCPConn)
	tcp.SetNoDelay(true)
	return &coalescingConn{Conn: conn, tcp: tcp}, nil
}

var writeBufferPool = &sync.Pool{}

func newUpgrader(compression bool) *websocket.Upgrader {
	return &websocket.Upgrader{
		ReadBufferSize:    64 << 10,
		WriteBufferSize:   64 << 10,
		WriteBufferPool:   writeBufferPool,
		EnableCompression: compression,
		CheckOrigin:       func(*http.Request) bool { return true },
	}
}

var (
	plainUpgrader   = newUpgrader(false)
	deflateUpgrader = newUpgrader(true)
)

func echo(w http.ResponseWriter, r *http.Request) {
	upgrader := plainUpgrader
	if r.URL.Path == "/deflate" {
		upgrader = deflateUpgrader
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	conn.SetReadLimit(256 << 20)
	var buf bytes.Buffer
	for {
		messageType, reader, err := conn.NextReader()
		if err != nil {
			return
		}
		buf.Reset()
		if _, err := buf.ReadFrom(reader); err != nil {
			return
		}
		// Uncompressed: header and payload leave as one frame (writev), no copy.
		if err := conn.WriteMessage(messageType, buf.Bytes()); err != nil {
			return
		}
		if buf.Cap() > 32<<20 {
			buf = bytes.Buffer{}
		}
	}
}

func main() {
	host := flag.String("host", "127.0.0.1", "address to listen on")
	certFile := flag.String("cert", "", "PEM certificate for the wss:// listener")
	keyFile := flag.String("key", "", "PEM key for the wss:// listener")
	flag.Parse()

	handler := http.HandlerFunc(echo)
	plain, err := net.Listen("tcp", net.JoinHostPort(*host, "0"))
	if err != nil {
		log.Fatal(err)
	}
	ports := map[string]int{"ws": plain.Addr().(*net.TCPAddr).Port}
	go func() { log.Fatal(http.Serve(coalescingListener{plain}, handler)) }()

	if *certFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			log.Fatal(err)
		}
		raw, err := net.Listen("tcp", net.JoinHostPort(*host, "0"))
		if err != nil {
			log.Fatal(err)
		}
		ports["wss"] = raw.Addr().(*net.TCPAddr).Port
		config := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}
		secure := tls.NewListener(coalescingListener{raw}, config)
		go func() { log.Fatal(http.Serve(secure, handler)) }()
	}

	line, _ := json.Marshal(ports)
	fmt.Fprintln(os.Stdout, string(line))
	select {}
}
