//! Typed ids, so an account index, a UID and a UIDVALIDITY cannot be swapped by mistake.

/// An account: its position in the config (and its sidebar section).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(pub usize);

/// A message's UID within one UIDVALIDITY of its folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uid(pub u32);

/// The epoch of a folder's UIDs: when it changes, every UID the user saw means nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UidValidity(pub u32);

/// One message exactly as the user saw it: a request carrying it can tell when the folder
/// was renumbered since.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MsgKey {
    pub folder: String,
    pub uidvalidity: UidValidity,
    pub uid: Uid,
}
