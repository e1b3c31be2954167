//! Byte offsets ↔ LSP positions (0-based lines, columns in UTF-16 code units).
//!
//! The compiler speaks byte offsets into UTF-8 text; editors speak (line, UTF-16 column).
//! Lines end at `\n` (a `\r` before it counts as the line's last character, as in `mpcc check`).
//! Out-of-range input is clamped, never a panic: a position past a line's end maps to the end of
//! that line, a line past the file's end to the end of the file, an offset inside a character to
//! the start of that character. This module knows nothing of diagnostics or documents.

use lsp_types::Position;

/// The start offset of every line of one text.
pub struct LineIndex<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, line_starts }
    }

    /// The position of a byte offset.
    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&start| start <= offset).saturating_sub(1);
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let column = self.text.get(start..offset).map_or(0, |s| s.encode_utf16().count());
        Position::new(to_u32(line), to_u32(column))
    }

    /// The byte offset of a position.
    pub fn offset(&self, position: Position) -> usize {
        let Some(&start) = self.line_starts.get(position.line as usize) else {
            return self.text.len();
        };
        let line = self.text.get(start..).unwrap_or("");
        let line = line.split('\n').next().unwrap_or("");
        let mut units = 0usize;
        for (i, c) in line.char_indices() {
            if units >= position.character as usize {
                return start + i;
            }
            units += c.len_utf16();
            // A column inside a surrogate pair lands after the character.
        }
        start + line.len()
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::LineIndex;
    use lsp_types::Position;

    fn pos(line: u32, character: u32) -> Position {
        Position::new(line, character)
    }

    #[test]
    fn ascii_offsets_round_trip() {
        let text = "ab\ncd\n";
        let index = LineIndex::new(text);
        let expected = [pos(0, 0), pos(0, 1), pos(0, 2), pos(1, 0), pos(1, 1), pos(1, 2), pos(2, 0)];
        for (offset, p) in expected.iter().enumerate() {
            assert_eq!(index.position(offset), *p, "offset {offset}");
            assert_eq!(index.offset(*p), offset, "position {p:?}");
        }
    }

    #[test]
    fn columns_count_utf16_code_units() {
        // `é` is 2 bytes and 1 unit; `𝑥` is 4 bytes and 2 units (a surrogate pair).
        let text = "é𝑥z\n";
        let index = LineIndex::new(text);
        assert_eq!(index.position(2), pos(0, 1));
        assert_eq!(index.position(6), pos(0, 3));
        assert_eq!(index.position(7), pos(0, 4));
        assert_eq!(index.offset(pos(0, 1)), 2);
        assert_eq!(index.offset(pos(0, 3)), 6);
        assert_eq!(index.offset(pos(0, 4)), 7);
        // Inside the pair: after the character.
        assert_eq!(index.offset(pos(0, 2)), 6);
    }

    #[test]
    fn offsets_inside_a_character_floor_to_its_start() {
        let index = LineIndex::new("a𝑥");
        assert_eq!(index.position(2), pos(0, 1));
        assert_eq!(index.position(4), pos(0, 1));
        assert_eq!(index.position(5), pos(0, 3));
    }

    #[test]
    fn out_of_range_input_is_clamped() {
        let text = "ab\ncd";
        let index = LineIndex::new(text);
        assert_eq!(index.position(100), pos(1, 2));
        assert_eq!(index.offset(pos(0, 99)), 2, "past the line's end: the end of the line");
        assert_eq!(index.offset(pos(7, 0)), text.len(), "past the last line: the end of the file");
        let empty = LineIndex::new("");
        assert_eq!(empty.position(3), pos(0, 0));
        assert_eq!(empty.offset(pos(2, 2)), 0);
    }

    #[test]
    fn crlf_keeps_the_carriage_return_on_its_line() {
        let index = LineIndex::new("a\r\nb");
        assert_eq!(index.position(1), pos(0, 1));
        assert_eq!(index.position(3), pos(1, 0));
        assert_eq!(index.offset(pos(1, 1)), 4);
    }
}
