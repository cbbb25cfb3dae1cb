//! COMPRESS=DEFLATE (RFC 4978): raw deflate both ways, flushed at every write so the
//! server sees whole commands.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use super::error::{ImapError, Result};

pub struct Deflate {
    compress: Compress,
    decompress: Decompress,
}

impl Default for Deflate {
    fn default() -> Self {
        Self::new()
    }
}

impl Deflate {
    pub fn new() -> Self {
        Self {
            compress: Compress::new(Compression::fast(), false),
            decompress: Decompress::new(false),
        }
    }

    pub fn compress(&mut self, input: &[u8]) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let start = self.compress.total_in();
        loop {
            out.reserve(input.len() / 2 + 256);
            let consumed = offset(self.compress.total_in() - start)?;
            self.compress
                .compress_vec(&input[consumed..], &mut out, FlushCompress::Sync)
                .map_err(|e| ImapError::bug(format!("deflate failed: {e}")))?;
            // Spare room left after a sync flush means the flush is complete.
            if offset(self.compress.total_in() - start)? == input.len()
                && out.len() < out.capacity()
            {
                return Ok(out);
            }
        }
    }

    pub fn decompress(&mut self, input: &[u8]) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let start = self.decompress.total_in();
        loop {
            out.reserve(input.len() * 4 + 1024);
            let consumed = offset(self.decompress.total_in() - start)?;
            let produced = out.len();
            let status = self
                .decompress
                .decompress_vec(&input[consumed..], &mut out, FlushDecompress::Sync)
                .map_err(|e| ImapError::protocol(format!("corrupt compressed stream: {e}")))?;
            let now_consumed = offset(self.decompress.total_in() - start)?;
            if status == Status::StreamEnd {
                return Ok(out);
            }
            if now_consumed == input.len() && out.len() < out.capacity() {
                return Ok(out);
            }
            if now_consumed == consumed && out.len() == produced {
                return Err(ImapError::protocol("compressed stream made no progress"));
            }
        }
    }
}

fn offset(count: u64) -> Result<usize> {
    usize::try_from(count).map_err(|_| ImapError::bug("compression counter overflow"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_in_pieces() {
        let mut client = Deflate::new();
        let mut server = Deflate::new();
        let line = b"* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n".repeat(5000);
        let wire = client.compress(&line).unwrap();
        assert!(wire.len() < line.len() / 10);
        // The reader gets the bytes in arbitrary chunks.
        let mut plain = Vec::new();
        for chunk in wire.chunks(7) {
            plain.extend(server.decompress(chunk).unwrap());
        }
        assert_eq!(plain, line);
        let second = client.compress(b"t2 NOOP\r\n").unwrap();
        assert_eq!(server.decompress(&second).unwrap(), b"t2 NOOP\r\n");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut inflater = Deflate::new();
        assert!(inflater.decompress(&[0xff; 64]).is_err());
    }
}
