//! The Typst `World` of one report: the embedded template and fonts, shared
//! by every report, plus this report's data and print images as virtual
//! files. Nothing is read from disk or the network.

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

use crate::finger::Finger;

/// The template, typeset for every report.
const TEMPLATE: &str = include_str!("report.typ");

/// The parts every report shares, built once.
pub(crate) struct Assets {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    template: Source,
}

impl Assets {
    pub(crate) fn load() -> Assets {
        // Libertinus Serif covers the whole Vietnamese Latin range (U+1EA0–1EF9,
        // ơ, ư, đ, ă); DejaVu Sans Mono, for the table hash, does too.
        let fonts: Vec<Font> = typst_assets::fonts()
            .flat_map(|data| Font::iter(Bytes::new(data)))
            .collect();
        Assets {
            library: LazyHash::new(Library::default()),
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            template: Source::new(file_id("/report.typ"), TEMPLATE.to_owned()),
            fonts,
        }
    }
}

/// The virtual path of the JSON data the template reads.
pub(crate) const DATA_PATH: &str = "/data.json";

/// The virtual path of a finger's print image.
pub(crate) fn image_path(finger: Finger) -> String {
    format!("/prints/{finger}.png")
}

fn file_id(path: &str) -> FileId {
    let vpath = VirtualPath::new(path).expect("a fixed, valid virtual path");
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

/// One report's world: the shared assets plus its own files.
pub(crate) struct ReportWorld<'a> {
    assets: &'a Assets,
    files: Vec<(FileId, Bytes)>,
}

impl<'a> ReportWorld<'a> {
    pub(crate) fn new(assets: &'a Assets) -> Self {
        ReportWorld {
            assets,
            files: Vec::new(),
        }
    }

    pub(crate) fn add_file(&mut self, path: &str, data: Vec<u8>) {
        self.files.push((file_id(path), Bytes::new(data)));
    }
}

impl World for ReportWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.assets.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.assets.book
    }

    fn main(&self) -> FileId {
        self.assets.template.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.assets.template.id() {
            Ok(self.assets.template.clone())
        } else {
            Err(FileError::NotSource)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.assets.template.id() {
            return Ok(Bytes::from_string(self.assets.template.clone()));
        }
        self.files
            .iter()
            .find(|(file, _)| *file == id)
            .map(|(_, data)| data.clone())
            .ok_or_else(|| FileError::NotFound(id.vpath().get_with_slash().into()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.assets.fonts.get(index).cloned()
    }

    // The template takes the report date from its data, never the clock, so
    // the same input gives the same PDF.
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}
