//! Messages in parts: the stored structure of a message and the sections fetched so far.
//! Whole bodies and sections share one budget (`BodyLimits::max_total`): whatever was
//! used longest ago goes first.

use rusqlite::{OptionalExtension, params};

use super::error::Result;
use super::{FolderId, Reader, WriteTx};
use crate::domain::parts::{Part, Structure};

/// A cached section: the bytes as the server sent them, and whether they are only the
/// first `data.len()` octets of the part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedSection {
    pub data: Vec<u8>,
    pub partial: bool,
    /// The server undid the transfer encoding (BINARY): `data` is the content itself.
    pub decoded: bool,
}

impl CachedSection {
    /// The content with its transfer encoding (`encoding`, from the structure) undone.
    pub fn content(&self, encoding: &str) -> Vec<u8> {
        if self.decoded {
            self.data.clone()
        } else {
            crate::domain::parts::transfer_decode(encoding, &self.data)
        }
    }
}

/// A section to cache, as fetched.
#[derive(Debug, Clone, Copy)]
pub struct NewSection<'a> {
    /// "HEADER", "1.2".
    pub section: &'a str,
    pub data: &'a [u8],
    /// Only the start of the part.
    pub partial: bool,
    /// Sent with its transfer encoding undone (BINARY).
    pub decoded: bool,
}

impl WriteTx<'_> {
    /// Stores a message's structure (replacing any older one). Ignored for a message not
    /// in the cache.
    pub fn put_structure(
        &mut self,
        id: FolderId,
        uidvalidity: u32,
        uid: u32,
        structure: &Structure,
    ) -> Result<()> {
        if !self.has_message(id, uidvalidity, uid)? {
            return Ok(());
        }
        let tx = self.sql();
        tx.prepare_cached(
            "DELETE FROM structure_parts WHERE folder_id = ?1 AND uidvalidity = ?2 AND uid = ?3",
        )?
        .execute(params![id, uidvalidity, uid])?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO structure_parts (folder_id, uidvalidity, uid, position, section, depth,
                mime_type, subtype, charset, name, disposition, filename, encoding, size,
                flowed, delsp)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        )?;
        for (position, p) in structure.parts.iter().enumerate() {
            insert.execute(params![
                id,
                uidvalidity,
                uid,
                position as i64,
                p.section,
                p.depth,
                p.mime_type,
                p.subtype,
                p.charset,
                p.name,
                p.disposition,
                p.filename,
                p.encoding,
                p.size,
                p.flowed,
                p.delsp,
            ])?;
        }
        Ok(())
    }

    /// Caches a fetched section ("HEADER", "1.2"). Sections over the per-body cap are not
    /// kept. Then evicts over the total.
    pub fn put_section(
        &mut self,
        id: FolderId,
        uidvalidity: u32,
        uid: u32,
        new: &NewSection<'_>,
    ) -> Result<()> {
        let NewSection {
            section,
            data,
            partial,
            decoded,
        } = *new;
        if data.len() as u64 > self.limits().max_body || !self.has_message(id, uidvalidity, uid)? {
            return Ok(());
        }
        let used = self.next_used()?;
        self.sql()
            .prepare_cached(
                "INSERT INTO part_bodies (folder_id, uidvalidity, uid, section, partial, size,
                    last_used, data, decoded)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (folder_id, uidvalidity, uid, section) DO UPDATE SET
                    partial = excluded.partial, size = excluded.size,
                    last_used = excluded.last_used, data = excluded.data,
                    decoded = excluded.decoded",
            )?
            .execute(params![
                id,
                uidvalidity,
                uid,
                section,
                partial,
                data.len() as i64,
                used,
                data,
                decoded
            ])?;
        super::search_index::index_text_section(self.sql(), id, uidvalidity, uid, new)?;
        self.evict_cache()
    }

    fn has_message(&self, id: FolderId, uidvalidity: u32, uid: u32) -> Result<bool> {
        Ok(self
            .sql()
            .prepare_cached(
                "SELECT 1 FROM messages WHERE folder_id = ?1 AND uidvalidity = ?2 AND uid = ?3",
            )?
            .query_row(params![id, uidvalidity, uid], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// The next value of the store-wide use counter (bodies and parts share it).
    pub(super) fn next_used(&self) -> Result<i64> {
        Ok(self.sql().query_row(
            "SELECT max(coalesce((SELECT max(last_used) FROM bodies), 0),
                        coalesce((SELECT max(last_used) FROM part_bodies), 0)) + 1",
            [],
            |r| r.get(0),
        )?)
    }

    /// Drops what was used longest ago, bodies and parts alike, until the total fits.
    pub(super) fn evict_cache(&mut self) -> Result<()> {
        let cap = i64::try_from(self.limits().max_total).unwrap_or(i64::MAX);
        let total: i64 = self.sql().query_row(
            "SELECT coalesce((SELECT sum(size) FROM bodies), 0)
                  + coalesce((SELECT sum(size) FROM part_bodies), 0)",
            [],
            |r| r.get(0),
        )?;
        if total <= cap {
            return Ok(());
        }
        let mut excess = total - cap;
        let mut victims: Vec<(bool, i64, u32, u32, Option<String>)> = Vec::new();
        {
            let mut stmt = self.sql().prepare_cached(
                "SELECT 0, folder_id, uidvalidity, uid, NULL, size, last_used FROM bodies
                 UNION ALL
                 SELECT 1, folder_id, uidvalidity, uid, section, size, last_used FROM part_bodies
                 ORDER BY 7",
            )?;
            let mut rows = stmt.query([])?;
            while excess > 0 {
                let Some(r) = rows.next()? else { break };
                victims.push((
                    r.get::<_, i64>(0)? == 1,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                ));
                excess -= r.get::<_, i64>(5)?;
            }
        }
        for (is_part, folder, validity, uid, section) in victims {
            if is_part {
                self.sql()
                    .prepare_cached(
                        "DELETE FROM part_bodies WHERE folder_id = ?1 AND uidvalidity = ?2
                         AND uid = ?3 AND section = ?4",
                    )?
                    .execute(params![folder, validity, uid, section])?;
            } else {
                self.sql()
                    .prepare_cached(
                        "DELETE FROM bodies WHERE folder_id = ?1 AND uidvalidity = ?2 AND uid = ?3",
                    )?
                    .execute(params![folder, validity, uid])?;
            }
        }
        Ok(())
    }

    /// Marks a section as just used, so eviction keeps it longer.
    pub fn touch_section(
        &mut self,
        id: FolderId,
        uidvalidity: u32,
        uid: u32,
        section: &str,
    ) -> Result<()> {
        let used = self.next_used()?;
        self.sql()
            .prepare_cached(
                "UPDATE part_bodies SET last_used = ?5
                 WHERE folder_id = ?1 AND uidvalidity = ?2 AND uid = ?3 AND section = ?4",
            )?
            .execute(params![id, uidvalidity, uid, section, used])?;
        Ok(())
    }
}

impl Reader {
    /// The stored structure, if it was fetched.
    pub fn structure(
        &self,
        folder: FolderId,
        uidvalidity: u32,
        uid: u32,
    ) -> Result<Option<Structure>> {
        stored_structure(self.conn(), folder, uidvalidity, uid)
    }

    /// A cached section ("HEADER", "1.2").
    pub fn section(
        &self,
        folder: FolderId,
        uidvalidity: u32,
        uid: u32,
        section: &str,
    ) -> Result<Option<CachedSection>> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT data, partial, decoded FROM part_bodies
                 WHERE folder_id = ?1 AND uidvalidity = ?2 AND uid = ?3 AND section = ?4",
            )?
            .query_row(params![folder, uidvalidity, uid, section], |r| {
                Ok(CachedSection {
                    data: r.get(0)?,
                    partial: r.get(1)?,
                    decoded: r.get(2)?,
                })
            })
            .optional()?)
    }

    /// Bytes of bodies and parts per folder name (folders holding none are absent).
    pub fn cache_bytes_by_folder(&self) -> Result<std::collections::HashMap<String, u64>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT f.name, sum(c.size) FROM folders f JOIN (
                SELECT folder_id, size FROM bodies
                UNION ALL SELECT folder_id, size FROM part_bodies
             ) c ON c.folder_id = f.id GROUP BY f.id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Bytes held by bodies and parts together.
    pub fn cache_bytes(&self) -> Result<u64> {
        let total: i64 = self.conn().query_row(
            "SELECT coalesce((SELECT sum(size) FROM bodies), 0)
                  + coalesce((SELECT sum(size) FROM part_bodies), 0)",
            [],
            |r| r.get(0),
        )?;
        Ok(u64::try_from(total).unwrap_or(0))
    }
}

/// What the reader renders of a message from the cache: the whole body when cached,
/// else a one-part message made of the header and the display part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownMessage {
    pub raw: Vec<u8>,
    pub structure: Option<Structure>,
    /// The whole message is cached (not only parts of it).
    pub whole: bool,
    /// The display part is only its start: its section and full (transferred) size.
    pub cut: Option<(String, u32)>,
}

impl Reader {
    /// The message as the reader shows it, if the cache has enough of it.
    pub fn shown_message(
        &self,
        folder: FolderId,
        uidvalidity: u32,
        uid: u32,
        prefer_html: bool,
    ) -> Result<Option<ShownMessage>> {
        let structure = self.structure(folder, uidvalidity, uid)?;
        if let Some(raw) = self.body(folder, uidvalidity, uid)? {
            return Ok(Some(ShownMessage {
                raw,
                structure,
                whole: true,
                cut: None,
            }));
        }
        let Some(structure) = structure else {
            return Ok(None);
        };
        if structure.needs_whole(self.message_size(folder, uidvalidity, uid)?) {
            return Ok(None);
        }
        let Some(header) = self.section(folder, uidvalidity, uid, "HEADER")? else {
            return Ok(None);
        };
        let shown = structure
            .display_part(prefer_html)
            // The HTML alternative shows once fetched; until then the plain one does.
            .filter(|p| {
                !prefer_html
                    || self
                        .has_section(folder, uidvalidity, uid, &p.section)
                        .unwrap_or(false)
            })
            .or_else(|| structure.display_part(false))
            .cloned();
        let Some(part) = shown else {
            let empty = Part {
                mime_type: "text".into(),
                subtype: "plain".into(),
                ..Part::default()
            };
            let raw = crate::domain::parts::one_part_message(&header.data, &empty, b"", false);
            return Ok(Some(ShownMessage {
                raw,
                structure: Some(structure),
                whole: false,
                cut: None,
            }));
        };
        let Some(data) = self.section(folder, uidvalidity, uid, &part.section)? else {
            return Ok(None);
        };
        let as_sent = part.as_cached(data.decoded);
        let raw = crate::domain::parts::one_part_message(
            &header.data,
            &as_sent,
            &data.data,
            data.partial,
        );
        Ok(Some(ShownMessage {
            raw,
            structure: Some(structure),
            whole: false,
            cut: data.partial.then(|| (part.section.clone(), part.size)),
        }))
    }

    /// Whether `shown_message` would find what it needs, without loading it.
    pub fn shown_ready(&self, folder: FolderId, uidvalidity: u32, uid: u32) -> Result<bool> {
        if self.has_body(folder, uidvalidity, uid)? {
            return Ok(true);
        }
        let Some(structure) = self.structure(folder, uidvalidity, uid)? else {
            return Ok(false);
        };
        if structure.needs_whole(self.message_size(folder, uidvalidity, uid)?) {
            return Ok(false);
        }
        if !self.has_section(folder, uidvalidity, uid, "HEADER")? {
            return Ok(false);
        }
        match structure.display_part(false) {
            Some(part) => self.has_section(folder, uidvalidity, uid, &part.section),
            None => Ok(true),
        }
    }

    /// RFC822.SIZE as synced (0 when unknown).
    pub fn message_size(&self, folder: FolderId, uidvalidity: u32, uid: u32) -> Result<u32> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT size FROM messages WHERE folder_id = ?1 AND uidvalidity = ?2 AND uid = ?3",
            )?
            .query_row(params![folder, uidvalidity, uid], |r| {
                r.get::<_, Option<u32>>(0)
            })
            .optional()?
            .flatten()
            .unwrap_or(0))
    }

    pub fn has_section(
        &self,
        folder: FolderId,
        uidvalidity: u32,
        uid: u32,
        section: &str,
    ) -> Result<bool> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT 1 FROM part_bodies
                 WHERE folder_id = ?1 AND uidvalidity = ?2 AND uid = ?3 AND section = ?4",
            )?
            .query_row(params![folder, uidvalidity, uid, section], |_| Ok(()))
            .optional()?
            .is_some())
    }
}

/// A message's stored structure, read through any connection (the writer's too).
pub(super) fn stored_structure(
    conn: &rusqlite::Connection,
    folder: FolderId,
    uidvalidity: u32,
    uid: u32,
) -> Result<Option<Structure>> {
    let mut stmt = conn.prepare_cached(
        "SELECT section, depth, mime_type, subtype, charset, name, disposition, filename,
                encoding, size, flowed, delsp
         FROM structure_parts WHERE folder_id = ?1 AND uidvalidity = ?2 AND uid = ?3
         ORDER BY position",
    )?;
    let parts: Vec<Part> = stmt
        .query_map(params![folder, uidvalidity, uid], |r| {
            Ok(Part {
                section: r.get(0)?,
                depth: r.get(1)?,
                mime_type: r.get(2)?,
                subtype: r.get(3)?,
                charset: r.get(4)?,
                name: r.get(5)?,
                disposition: r.get(6)?,
                filename: r.get(7)?,
                encoding: r.get(8)?,
                size: r.get(9)?,
                flowed: r.get(10)?,
                delsp: r.get(11)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok((!parts.is_empty()).then_some(Structure { parts }))
}
