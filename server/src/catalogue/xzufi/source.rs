//! The input as quick-xml sees it: bytes counted as they are read (a length
//! header could lie), newlines counted as they are consumed.

use std::io::{self, BufRead, Read};

const CHUNK: usize = 64 * 1024;

pub(super) struct Source<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    filled: usize,
    read: u64,
    max_bytes: u64,
    exceeded: bool,
    newlines: u64,
}

impl<R: Read> Source<R> {
    pub(super) fn new(inner: R, max_bytes: u64) -> Self {
        Source {
            inner,
            buf: vec![0; CHUNK].into_boxed_slice(),
            pos: 0,
            filled: 0,
            read: 0,
            max_bytes,
            exceeded: false,
            newlines: 0,
        }
    }

    /// The 1-based line of the next byte quick-xml will consume. quick-xml
    /// consumes exactly up to the end of each event, so before a read this is
    /// the line where the next event starts.
    pub(super) fn line(&self) -> u64 {
        self.newlines + 1
    }

    pub(super) fn exceeded(&self) -> bool {
        self.exceeded
    }

    fn too_large() -> io::Error {
        io::Error::other("Größenbeschränkung überschritten")
    }
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Source<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.filled {
            if self.exceeded {
                return Err(Self::too_large());
            }
            // One byte past the limit is enough to know the input is too long.
            let allowed = self.max_bytes.saturating_sub(self.read).saturating_add(1);
            let want = usize::try_from(allowed).unwrap_or(usize::MAX).min(CHUNK);
            let n = loop {
                match self.inner.read(&mut self.buf[..want]) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    other => break other?,
                }
            };
            self.read += n as u64;
            if self.read > self.max_bytes {
                self.exceeded = true;
                return Err(Self::too_large());
            }
            self.pos = 0;
            self.filled = n;
        }
        Ok(&self.buf[self.pos..self.filled])
    }

    fn consume(&mut self, amount: usize) {
        let end = (self.pos + amount).min(self.filled);
        let newlines = self.buf[self.pos..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.newlines += newlines as u64;
        self.pos = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_as_bytes_are_consumed() {
        let mut source = Source::new(&b"a\nb\r\nc"[..], 100);
        let mut text = String::new();
        source.read_to_string(&mut text).unwrap();
        assert_eq!(text, "a\nb\r\nc");
        assert_eq!(source.line(), 3);
    }

    #[test]
    fn refuses_one_byte_past_the_limit() {
        let mut exact = Source::new(&b"12345"[..], 5);
        assert_eq!(exact.read_to_end(&mut Vec::new()).unwrap(), 5);

        let mut longer = Source::new(&b"123456"[..], 5);
        assert!(longer.read_to_end(&mut Vec::new()).is_err());
        assert!(longer.exceeded());
    }
}
