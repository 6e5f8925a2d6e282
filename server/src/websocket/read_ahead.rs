//! Reads under the WebSocket codec that stay small while messages are small and grow when they
//! are not.
//!
//! tungstenite zeroes the free part of its read buffer, up to its `read_buffer_size`, before
//! every read. With small messages that memset costs more than the read: at 16 KiB it was most
//! of the difference between `/echo` with the capture and without (the ring's traffic pushes
//! 100 connections' buffers out of the cache, docs/benchmarks.md). So the codec reads at most
//! [`crate::config::READ_BUFFER`] (4 KiB) at a time. A large message would then take a system
//! call per 4 KiB: once a read fills all the codec offered, [`ReadAhead`] reads up to
//! [`AHEAD`] at a time into a buffer of its own (zeroed once, when first needed) and hands the
//! codec its bytes from there, until a read comes back shorter than what the codec asked for.
//!
//! It sits above the byte tap, so the capture still sees each read from the socket as it
//! happens.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The most read from the socket at once while messages are large.
pub const AHEAD: usize = 64 * 1024;

/// A socket whose reads grow while they come back full.
#[derive(Debug)]
pub struct ReadAhead<IO> {
    io: IO,
    /// Read from the socket, not yet handed out: `ahead[start..end]`. Empty until the first
    /// large read, unless made with early bytes.
    ahead: Vec<u8>,
    start: usize,
    end: usize,
    /// The last read filled all that was asked: read ahead.
    large: bool,
}

impl<IO> ReadAhead<IO> {
    pub fn new(io: IO) -> Self {
        Self::with_early(io, Vec::new())
    }

    /// A socket from which `early` bytes were already read: they are handed out first.
    pub fn with_early(io: IO, early: Vec<u8>) -> Self {
        let end = early.len();
        ReadAhead {
            io,
            ahead: early,
            start: 0,
            end,
            large: false,
        }
    }

    /// Hands out what was read ahead; whether there was any.
    fn hand_out(&mut self, buf: &mut ReadBuf<'_>) -> bool {
        if self.start == self.end {
            return false;
        }
        let n = (self.end - self.start).min(buf.remaining());
        buf.put_slice(&self.ahead[self.start..self.start + n]);
        self.start += n;
        true
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for ReadAhead<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.hand_out(buf) {
            return Poll::Ready(Ok(()));
        }
        let asked = buf.remaining();
        if !this.large || asked >= AHEAD {
            let before = buf.filled().len();
            ready!(Pin::new(&mut this.io).poll_read(cx, buf))?;
            let read = buf.filled().len() - before;
            this.large = read > 0 && read == asked;
            return Poll::Ready(Ok(()));
        }
        // Everything ahead was handed out: early bytes (up to hyper's read buffer) leave a
        // buffer of another size.
        if this.ahead.len() != AHEAD {
            this.ahead.resize(AHEAD, 0);
        }
        let mut ahead = ReadBuf::new(&mut this.ahead);
        ready!(Pin::new(&mut this.io).poll_read(cx, &mut ahead))?;
        let read = ahead.filled().len();
        (this.start, this.end) = (0, read);
        this.large = read > asked;
        this.hand_out(buf);
        Poll::Ready(Ok(()))
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for ReadAhead<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A reader that records the size of every read it is asked for.
    struct Counted<IO> {
        io: IO,
        asks: Vec<usize>,
    }

    impl<IO: AsyncRead + Unpin> AsyncRead for Counted<IO> {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let this = self.get_mut();
            this.asks.push(buf.remaining());
            Pin::new(&mut this.io).poll_read(cx, buf)
        }
    }

    #[tokio::test]
    async fn small_reads_go_straight_through() {
        let (mut peer, socket) = tokio::io::duplex(1 << 20);
        let mut reader = ReadAhead::new(Counted {
            io: socket,
            asks: Vec::new(),
        });
        let mut buf = [0u8; 4096];
        for message in [&b"one"[..], b"two", b"three"] {
            peer.write_all(message).await.unwrap();
            let n = reader.read(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], message);
        }
        // The socket was asked for exactly what the reader asked for, every time.
        assert_eq!(reader.io.asks, [4096, 4096, 4096]);
        assert!(reader.ahead.is_empty());
    }

    #[tokio::test]
    async fn a_large_message_is_read_ahead_in_large_reads_and_handed_out_whole() {
        let (mut peer, socket) = tokio::io::duplex(1 << 20);
        let message: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        peer.write_all(&message).await.unwrap();
        let mut reader = ReadAhead::new(Counted {
            io: socket,
            asks: Vec::new(),
        });
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while got.len() < message.len() {
            let n = reader.read(&mut buf).await.unwrap();
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, message);
        // One read of 4 KiB filled, then reads of AHEAD: far fewer than 4 KiB at a time.
        assert_eq!(reader.io.asks[0], 4096);
        assert!(reader.io.asks[1..].iter().all(|&ask| ask == AHEAD));
        assert!(reader.io.asks.len() <= 1 + message.len().div_ceil(AHEAD));

        // A short read afterwards brings the reads back to the reader's size.
        peer.write_all(b"small").await.unwrap();
        let n = reader.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"small");
        peer.write_all(b"again").await.unwrap();
        let asks_before = reader.io.asks.len();
        let n = reader.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"again");
        assert_eq!(reader.io.asks[asks_before..], [4096]);
    }

    #[tokio::test]
    async fn early_bytes_come_first_and_large_reads_follow() {
        let (mut peer, socket) = tokio::io::duplex(1 << 20);
        let mut reader = ReadAhead::with_early(
            Counted {
                io: socket,
                asks: Vec::new(),
            },
            b"early".to_vec(),
        );
        let message: Vec<u8> = (0..100_000u32).map(|i| (i % 253) as u8).collect();
        peer.write_all(&message).await.unwrap();
        let mut buf = [0u8; 4096];
        let n = reader.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"early");
        assert!(reader.io.asks.is_empty());
        let mut got = Vec::new();
        while got.len() < message.len() {
            let n = reader.read(&mut buf).await.unwrap();
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, message);
        // The early bytes' buffer grew to a whole read ahead once the reads came back full.
        assert!(reader.io.asks[1..].iter().all(|&ask| ask == AHEAD));
    }

    #[tokio::test]
    async fn end_of_stream_and_writes_pass_through() {
        let (mut peer, socket) = tokio::io::duplex(1024);
        let mut socket = ReadAhead::new(socket);
        socket.write_all(b"out").await.unwrap();
        let mut out = [0u8; 3];
        peer.read_exact(&mut out).await.unwrap();
        assert_eq!(&out, b"out");
        drop(peer);
        let mut buf = [0u8; 16];
        assert_eq!(socket.read(&mut buf).await.unwrap(), 0);
    }
}
