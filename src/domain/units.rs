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

/// `512 B`, `1.5 KB`, `500.0 MB`: sizes said in words (attachment lists, cache use).
pub fn bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
