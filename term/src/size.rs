//! A terminal's size: rows and columns, named, so that no call can give
//! them in the wrong order.

/// Rows and columns; zero in either means "not known".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Size {
    pub rows: u16,
    pub cols: u16,
}

impl Size {
    pub const fn new(rows: u16, cols: u16) -> Self {
        Size { rows, cols }
    }

    /// A size from the wire's `u32`s, each clamped to what a terminal can
    /// be.
    pub fn clamped(rows: u32, cols: u32) -> Self {
        let clamp = |v: u32| u16::try_from(v).unwrap_or(u16::MAX);
        Size::new(clamp(rows), clamp(cols))
    }

    /// Both dimensions known.
    pub fn is_known(self) -> bool {
        self.rows > 0 && self.cols > 0
    }

    /// At least one row and one column (a parser cannot be smaller).
    pub fn at_least_one(self) -> Self {
        Size::new(self.rows.max(1), self.cols.max(1))
    }

    /// No larger than `max` in either dimension.
    pub fn at_most(self, max: Size) -> Self {
        Size::new(self.rows.min(max.rows), self.cols.min(max.cols))
    }

    /// The smaller of the two in each dimension (several clients sharing
    /// one terminal see all of it at the smallest one's size, as tmux).
    pub fn min(self, other: Size) -> Self {
        Size::new(self.rows.min(other.rows), self.cols.min(other.cols))
    }
}

impl std::fmt::Display for Size {
    /// `COLSxROWS`, as terminals and asciicast say it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}", self.cols, self.rows)
    }
}
