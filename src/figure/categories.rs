//! What the legend of a count-cat figure lists: one entry per category, named by the
//! caller's labels (or `0`, `1`, ...), coloured as the render shades that category.

use crate::data::{summarize, Source};
use crate::error::Result;
use crate::shade::category::default_color_key;
use crate::shade::Color;

/// The legend entries (name, colour) of a count-cat render of the category column `value`:
/// one per label when `labels` are given, else one per name of a column with named
/// categories ([`Source::category_labels`]: a dictionary-encoded string column), else one
/// per category up to the column's largest, named by its code (one pass over the column,
/// or none when its source knows its summary). Colours come from `color_key` (the render's
/// [`crate::RenderOptions::color_key`]), then the default key for categories beyond it, as
/// the shading does.
pub fn category_legend(
    labels: Option<&[String]>,
    color_key: Option<&[Color]>,
    value: &dyn Source,
) -> Result<Vec<(String, Color)>> {
    let names = match known_labels(labels, value) {
        Some(labels) => labels,
        None => numbered(summarize(&[value])?[0].max.map_or(0, |m| m as usize + 1)),
    };
    Ok(entries(names, color_key))
}

/// The names of the categories when they are known without reading the column: `labels`,
/// else the names of a column with named categories ([`Source::category_labels`]).
pub(crate) fn known_labels(labels: Option<&[String]>, value: &dyn Source) -> Option<Vec<String>> {
    labels.map(<[String]>::to_vec).or_else(|| value.category_labels())
}

/// `0`, `1`, ... for `categories` categories.
pub(crate) fn numbered(categories: usize) -> Vec<String> {
    (0..categories).map(|c| c.to_string()).collect()
}

/// One legend entry per name, coloured from `color_key`, then the default key beyond it.
pub(crate) fn entries(names: Vec<String>, color_key: Option<&[Color]>) -> Vec<(String, Color)> {
    let categories = names.len();
    let key = color_key.map_or_else(|| default_color_key(categories), <[Color]>::to_vec);
    names.into_iter().zip(key.into_iter().chain(default_color_key(categories))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::MemoryColumn;

    #[test]
    fn entries_are_the_labels_or_the_categories_up_to_the_largest() {
        let value = MemoryColumn::new("c", vec![0u8, 3, 1]);
        let default = default_color_key(4);
        let numbered: Vec<(String, Color)> = (0..4).map(|c| (c.to_string(), default[c])).collect();
        assert_eq!(category_legend(None, None, &value).unwrap(), numbered);
        let (red, blue) = (Color::rgb(255, 0, 0), Color::rgb(0, 0, 255));
        let labels = ["a".to_string(), "b".to_string()];
        let named = category_legend(Some(&labels), Some(&[red, blue]), &value).unwrap();
        assert_eq!(named, vec![("a".to_string(), red), ("b".to_string(), blue)]);
    }
}
