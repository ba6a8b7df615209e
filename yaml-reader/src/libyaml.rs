//! The events of a YAML text, as libyaml's parser produces them: a safe
//! iterator over `unsafe_libyaml`, the C library translated to Rust.
//!
//! go-yaml, with which Kueue, JobSet and LWS decode their files (through
//! `sigs.k8s.io/yaml`), is a port of the same C scanner and parser, so a text
//! is split into events here exactly as those binaries split it: where a
//! stricter YAML 1.2 parser refuses what go-yaml reads (a flow collection
//! closed at its key's indentation), this one reads it too.
//!
//! **Bounds.** libyaml checks every potential simple key, one per open flow
//! collection, at each token: flow collections nested `d` deep cost `d` per
//! token, so 80,000 `[` take seconds. go-yaml stops at 10,000 levels; here
//! flow collections nest at most [`MAX_FLOW_DEPTH`] deep (no configuration
//! nests them more than a few), any collection [`MAX_DEPTH`] deep, as
//! go-yaml's own limit, and a text holds at most [`MAX_DIRECTIVES`]
//! directives (libyaml compares each `%TAG` with every one before it). Past
//! a bound the parser stops with an error, as for a syntax error, before it
//! reads further.
//!
//! This module is the crate's only unsafe code. Each block says what it
//! relies on; the rules are libyaml's own: the parser lives at one address
//! from initialisation to deletion, the text outlives the parser, and each
//! event is deleted once, after its strings were copied out.

use std::ffi::CStr;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use unsafe_libyaml as unsafe_sys;

/// Flow collections (`[...]`, `{...}`) open at once, at most.
pub const MAX_FLOW_DEPTH: usize = 100;
/// Collections open at once, at most (go-yaml's "exceeded max depth of 10000").
pub const MAX_DEPTH: usize = 10_000;
/// Lines that start with `%` (a directive, or text that could be one), at most.
pub const MAX_DIRECTIVES: usize = 32;

/// One parser event, its strings copied out.
#[derive(Debug, PartialEq, Eq)]
pub enum Event {
    DocumentStart,
    DocumentEnd,
    Scalar {
        value: String,
        plain: bool,
        anchor: Option<String>,
        /// In full (`tag:yaml.org,2002:bool` for `!!bool`).
        tag: Option<String>,
    },
    Alias(String),
    SequenceStart(Option<String>),
    MappingStart(Option<String>),
    /// The end of a sequence or a mapping.
    End,
    StreamEnd,
    /// The start of the stream.
    Other,
}

/// What libyaml refused, or the bound the text went past, and on which line
/// (from 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    /// A bound of this module's (not a syntax error).
    pub bound: bool,
    /// libyaml's words: `did not find expected key at line 3 column 1, while
    /// parsing a block mapping at line 1 column 1`.
    pub message: String,
}

/// A parser of one text.
pub struct Parser<'t> {
    /// Boxed: libyaml's string input keeps a pointer to the parser itself.
    raw: Box<MaybeUninit<unsafe_sys::yaml_parser_t>>,
    /// Whether `yaml_parser_initialize` succeeded (then `drop` deletes it).
    initialised: bool,
    /// After an error or the end of the stream, libyaml is not asked again.
    done: bool,
    /// The collections open now: whether each is a flow collection.
    open: Vec<bool>,
    /// How many of them are flow collections.
    flow: usize,
    /// An error found before libyaml reads the text.
    refused: Option<ParseError>,
    text: PhantomData<&'t str>,
}

impl<'t> Parser<'t> {
    pub fn new(text: &'t str) -> Self {
        let mut raw = Box::new(MaybeUninit::<unsafe_sys::yaml_parser_t>::uninit());
        let parser = raw.as_mut_ptr();
        // SAFETY: `parser` points to memory for a parser at an address that
        // does not change (a box). `set_input_string` is called once, on an
        // initialised parser, with the text's pointer and length; the text
        // is borrowed for `'t`, the parser's own lifetime.
        let initialised = unsafe {
            let ok = unsafe_sys::yaml_parser_initialize(parser).ok;
            if ok {
                unsafe_sys::yaml_parser_set_input_string(parser, text.as_ptr(), text.len() as u64);
            }
            ok
        };
        let directives = usize::from(text.starts_with('%')) + text.matches("\n%").count();
        let refused = (directives > MAX_DIRECTIVES).then(|| ParseError {
            line: 1,
            bound: true,
            message: format!("has more than {MAX_DIRECTIVES} lines that start with % (directives)"),
        });
        Parser {
            raw,
            initialised,
            done: !initialised,
            open: Vec::new(),
            flow: 0,
            refused,
            text: PhantomData,
        }
    }

    /// Follows the collections the event opens or closes; an error past a
    /// bound.
    fn nest(&mut self, event: &Event, flow: bool, line: usize) -> Result<(), ParseError> {
        match event {
            Event::SequenceStart(_) | Event::MappingStart(_) => {
                self.open.push(flow);
                self.flow += usize::from(flow);
                if self.flow > MAX_FLOW_DEPTH || self.open.len() > MAX_DEPTH {
                    self.done = true;
                    return Err(ParseError {
                        line,
                        bound: true,
                        message: format!(
                            "nests collections deeper than {} (line {line})",
                            if self.flow > MAX_FLOW_DEPTH {
                                format!("{MAX_FLOW_DEPTH} flow levels")
                            } else {
                                format!("{MAX_DEPTH} levels")
                            }
                        ),
                    });
                }
            }
            Event::End => {
                if let Some(was_flow) = self.open.pop() {
                    self.flow -= usize::from(was_flow);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The next event and the line (from 1) it starts on; an error says
    /// what libyaml found, and where. After an error or the end of the
    /// stream, the end of the stream again.
    pub fn next_event(&mut self) -> Result<(Event, usize), ParseError> {
        if let Some(refused) = self.refused.take() {
            self.done = true;
            return Err(refused);
        }
        if self.done {
            return Ok((Event::StreamEnd, 0));
        }
        let parser = self.raw.as_mut_ptr();
        let mut event = MaybeUninit::<unsafe_sys::yaml_event_t>::uninit();
        // SAFETY: the parser is initialised and has neither failed nor
        // ended (`done`). On success libyaml has written the event, whose
        // strings are copied out before it is deleted, once; on failure no
        // event was made and the parser's error fields are set.
        unsafe {
            if unsafe_sys::yaml_parser_parse(parser, event.as_mut_ptr()).fail {
                self.done = true;
                return Err(error(&*parser));
            }
            let e = event.as_mut_ptr();
            let read = copy_out(&*e);
            let flow = is_flow(&*e);
            let line = line_of((*e).start_mark);
            unsafe_sys::yaml_event_delete(e);
            if matches!(read, Event::StreamEnd) {
                self.done = true;
            }
            self.nest(&read, flow, line)?;
            Ok((read, line))
        }
    }
}

impl Drop for Parser<'_> {
    fn drop(&mut self) {
        if self.initialised {
            // SAFETY: an initialised parser, deleted once.
            unsafe { unsafe_sys::yaml_parser_delete(self.raw.as_mut_ptr()) }
        }
    }
}

/// A NUL-terminated string of libyaml's (an anchor, a tag), or none.
///
/// SAFETY: `p` is null or points to a NUL-terminated string that lives as
/// long as the event it belongs to.
unsafe fn c_string(p: *const u8) -> Option<String> {
    if p.is_null() {
        return None;
    }
    // SAFETY: as the function requires.
    let s = unsafe { CStr::from_ptr(p.cast()) };
    Some(s.to_string_lossy().into_owned())
}

/// The event's kind and strings, copied.
///
/// SAFETY: `e` is an event libyaml has just produced and not yet deleted.
unsafe fn copy_out(e: &unsafe_sys::yaml_event_t) -> Event {
    // SAFETY: each arm reads the union field of the event's own kind, whose
    // pointers are libyaml's strings (NUL-terminated; a scalar's value has
    // `length` bytes, NULs included).
    unsafe {
        match e.type_ {
            unsafe_sys::YAML_DOCUMENT_START_EVENT => Event::DocumentStart,
            unsafe_sys::YAML_DOCUMENT_END_EVENT => Event::DocumentEnd,
            unsafe_sys::YAML_SCALAR_EVENT => {
                let s = e.data.scalar;
                let value = if s.value.is_null() || s.length == 0 {
                    String::new()
                } else {
                    let bytes = std::slice::from_raw_parts(s.value, s.length as usize);
                    String::from_utf8_lossy(bytes).into_owned()
                };
                Event::Scalar {
                    value,
                    plain: s.style == unsafe_sys::YAML_PLAIN_SCALAR_STYLE,
                    anchor: c_string(s.anchor),
                    tag: c_string(s.tag),
                }
            }
            unsafe_sys::YAML_ALIAS_EVENT => {
                Event::Alias(c_string(e.data.alias.anchor).unwrap_or_default())
            }
            unsafe_sys::YAML_SEQUENCE_START_EVENT => {
                Event::SequenceStart(c_string(e.data.sequence_start.anchor))
            }
            unsafe_sys::YAML_MAPPING_START_EVENT => {
                Event::MappingStart(c_string(e.data.mapping_start.anchor))
            }
            unsafe_sys::YAML_SEQUENCE_END_EVENT | unsafe_sys::YAML_MAPPING_END_EVENT => Event::End,
            // YAML_NO_EVENT: libyaml has nothing more to give.
            unsafe_sys::YAML_STREAM_END_EVENT | unsafe_sys::YAML_NO_EVENT => Event::StreamEnd,
            _ => Event::Other,
        }
    }
}

/// Whether the event opens a flow collection.
///
/// SAFETY: `e` is an event libyaml has just produced and not yet deleted.
unsafe fn is_flow(e: &unsafe_sys::yaml_event_t) -> bool {
    // SAFETY: the union field read is the one of the event's own kind.
    unsafe {
        match e.type_ {
            unsafe_sys::YAML_SEQUENCE_START_EVENT => {
                e.data.sequence_start.style == unsafe_sys::YAML_FLOW_SEQUENCE_STYLE
            }
            unsafe_sys::YAML_MAPPING_START_EVENT => {
                e.data.mapping_start.style == unsafe_sys::YAML_FLOW_MAPPING_STYLE
            }
            _ => false,
        }
    }
}

fn line_of(mark: unsafe_sys::yaml_mark_t) -> usize {
    usize::try_from(mark.line)
        .unwrap_or(usize::MAX)
        .saturating_add(1)
}

/// libyaml's error, in its own words, and its line.
fn error(parser: &unsafe_sys::yaml_parser_t) -> ParseError {
    let p = parser; // its error fields, through libyaml's `Deref`
                    // SAFETY: libyaml's problem and context are null or static
                    // NUL-terminated strings.
    let (problem, context) = unsafe { (c_string(p.problem.cast()), c_string(p.context.cast())) };
    let at = |m: unsafe_sys::yaml_mark_t| format!("line {} column {}", line_of(m), m.column + 1);
    let mut out = problem.unwrap_or_else(|| "the YAML parser failed".into());
    out.push_str(" at ");
    out.push_str(&at(p.problem_mark));
    if let Some(context) = context {
        out.push_str(", ");
        out.push_str(&context);
        out.push_str(" at ");
        out.push_str(&at(p.context_mark));
    }
    ParseError {
        line: line_of(p.problem_mark),
        bound: false,
        message: out,
    }
}
