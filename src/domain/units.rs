//! Human-readable quantities shared by the reader's lines and the overlays.

/// `980`, `4.1K`, `12.7K`, `3.2M`.
pub fn size(bytes: u32) -> String {
    let b = f64::from(bytes);
    if bytes < 1024 {
        bytes.to_string()
    } else if bytes < 1024 * 1024 {
        format!("{:.1}K", b / 1024.0)
    } else {
        format!("{:.1}M", b / (1024.0 * 1024.0))
    }
}
