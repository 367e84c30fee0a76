//! Settings of what uploads may cost the server together (issue 13): body
//! bytes in memory, spreadsheet parses at once, and each parse's time.

use clap::Args;

#[derive(Debug, Clone, PartialEq, Args)]
pub struct UploadSettings {
    /// Bytes of upload bodies held in memory by all requests together; an
    /// upload waits for its share (503 after 20 s). At least MAX_UPLOAD_BYTES.
    #[arg(long, env = "UPLOAD_MEMORY_BYTES", default_value_t = 48 * 1024 * 1024)]
    pub upload_memory_bytes: usize,
    /// Spreadsheet parses at once, over all companies (one per company).
    #[arg(long, env = "PARSE_SLOTS", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parse_slots: u16,
    /// Longest a spreadsheet may take to read; past it, 422.
    #[arg(long, env = "PARSE_SECONDS", default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=600))]
    pub parse_seconds: u16,
}

impl Default for UploadSettings {
    /// The defaults of `--help`.
    fn default() -> Self {
        UploadSettings {
            upload_memory_bytes: 48 * 1024 * 1024,
            parse_slots: 2,
            parse_seconds: 5,
        }
    }
}

impl UploadSettings {
    pub fn validate(&self, max_upload_bytes: usize) -> anyhow::Result<()> {
        if self.upload_memory_bytes < max_upload_bytes {
            anyhow::bail!(
                "UPLOAD_MEMORY_BYTES ({}) must be at least MAX_UPLOAD_BYTES ({max_upload_bytes})",
                self.upload_memory_bytes
            );
        }
        Ok(())
    }
}
