//! A pane: its border (focus, state), its title (with the one the
//! program set, escaped), its screen, and the real cursor when focused.

use dockyard_client::text::printable;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Block, BorderType, Borders};

use crate::schedule::Shown;
use crate::state::panes::{PaneId, PaneState, inner};
use crate::state::{Focus, Mode, State};
use crate::term::view::{TermView, cursor_position, position_of};

pub fn draw(f: &mut Frame, state: &State, id: PaneId, outer: Rect, shown: &mut Shown) {
    let Some(pane) = state.panes.get(id) else {
        return;
    };
    let focused = state.focus == Focus::Pane(id);
    let border = match (&pane.state, focused) {
        (PaneState::Failed(_), _) => Color::Red,
        (PaneState::Exited(_), true) => Color::Yellow,
        (_, true) => Color::Cyan,
        _ => Color::DarkGray,
    };
    let mut heading = pane.title();
    if state.broadcast.is_some() && state.input_targets(id).len() > 1 {
        heading.push_str(" [broadcast]");
    }
    if let Some(t) = pane.term.title() {
        // Set by the program in the container: its bytes, its rules.
        heading = format!("{heading} — {}", printable(t));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(Style::default().fg(border))
        .title(Span::styled(
            format!(" {heading} "),
            Style::default().add_modifier(Modifier::BOLD),
        ));
    f.render_widget(block, outer);
    let area = inner(outer).intersection(outer);
    // A pane without the focus may be drawn as it was (the schedule's
    // rule: `Shown::reusable`).
    let changes = pane.term.changes();
    if let Some(cells) = shown.reusable(id, area, changes, focused) {
        let buf = f.buffer_mut();
        for (p, cell) in area.positions().zip(cells) {
            buf[p] = cell.clone();
        }
    } else {
        let selection = pane.copy.as_ref().and_then(|c| c.selection());
        let query = match &pane.copy {
            Some(c) => c.search.as_ref().map(|(q, _)| q.as_str()),
            None => pane.search.as_ref().map(|s| s.query.as_str()),
        };
        f.render_widget(
            TermView::new(&pane.term)
                .selection(selection.as_ref())
                .query(query),
            area,
        );
        let buf = f.buffer_mut();
        let cells = area.positions().map(|p| buf[p].clone()).collect();
        shown.remember(id, area, changes, cells);
    }
    if !focused || !matches!(state.mode, Mode::Normal | Mode::Leader) {
        return;
    }
    // In copy mode the cursor is copy mode's.
    let cursor = match &pane.copy {
        Some(c) => position_of(&pane.term, area, c.cursor.line, c.cursor.col),
        None if pane.is_live() && !pane.is_logs() => cursor_position(&pane.term, area),
        None => None,
    };
    if let Some(pos) = cursor {
        f.set_cursor_position(pos);
    }
}

#[cfg(test)]
mod tests {
    use crate::msg::{Msg, SessionEvent};
    use crate::ui::testing::{SIZES, render, state_with_panes};

    /// Colours, attributes, a wide character, the cursor; a second pane
    /// scrolled back with its marker; an ended one.
    #[test]
    fn panes() {
        for (w, h) in SIZES {
            let mut s = state_with_panes(w, h, 3);
            let out = "plain \x1b[31mred\x1b[0m \x1b[1;44mbold-on-blue\x1b[0m 名前 \x1b[2mdim\x1b[0m\r\n$ ";
            s.feed(1, out);
            for i in 0..60 {
                s.feed(2, &format!("line {i}\r\n"));
            }
            s.scroll(2, 5);
            s.feed(3, "bye\r\n");
            s.send(Msg::Session {
                pane: 3,
                ev: SessionEvent::Exited {
                    code: 3,
                    message: String::new(),
                    cause: dockyard_client::Cause::Unspecified,
                },
            });
            s.focus_pane(1);
            insta::assert_snapshot!(format!("panes_{w}x{h}"), render(&s.state, w, h));
        }
    }

    /// Two panes, the second focused, drawn into a test terminal with
    /// what each showed remembered between frames.
    struct Frames {
        s: crate::ui::testing::Harness,
        term: ratatui::Terminal<ratatui::backend::TestBackend>,
        shown: crate::schedule::Shown,
    }

    impl Frames {
        fn new() -> Self {
            let mut s = state_with_panes(120, 30, 2);
            s.focus_pane(2);
            let backend = ratatui::backend::TestBackend::new(120, 30);
            Frames {
                s,
                term: ratatui::Terminal::new(backend).expect("terminal"),
                shown: crate::schedule::Shown::default(),
            }
        }

        /// Draws a frame; what the terminal shows.
        fn draw(&mut self) -> String {
            let (state, shown) = (&self.s.state, &mut self.shown);
            self.term
                .draw(|f| crate::ui::draw_with(f, state, shown))
                .expect("draw");
            format!("{:?}", self.term.backend().buffer())
        }
    }

    /// A pane without the focus is drawn afresh at most every SIDE_FRAME:
    /// within it, the frame shows what it showed and says a later frame
    /// is due; the focused pane is always drawn afresh.
    #[test]
    fn side_panes_are_drawn_afresh_at_most_every_side_frame() {
        let mut t = Frames::new();
        t.s.feed(1, "first-news ");
        t.s.feed(2, "focused-one ");
        assert!(t.draw().contains("first-news"));
        assert!(!t.shown.stale);
        t.s.feed(1, "second-news ");
        t.s.feed(2, "focused-two ");
        let shown = t.draw();
        assert!(!shown.contains("second-news"), "drawn as it was");
        assert!(shown.contains("focused-two"), "the focused pane is fresh");
        assert!(t.shown.stale, "a later frame is due");
        std::thread::sleep(crate::schedule::SIDE_FRAME);
        assert!(t.draw().contains("second-news"));
        assert!(!t.shown.stale);
        // Nothing new anywhere: no frame is asked for (an idle TUI draws
        // nothing).
        t.draw();
        assert!(!t.shown.stale);
    }

    /// A frame drawn for an echo draws only the focused pane afresh, even
    /// when the others are due: their news waits for the next frame.
    #[test]
    fn an_echo_frame_draws_only_the_focused_pane_afresh() {
        let mut t = Frames::new();
        t.s.feed(1, "first-news ");
        t.draw();
        std::thread::sleep(crate::schedule::SIDE_FRAME);
        t.s.feed(1, "second-news ");
        t.s.feed(2, "the-echo ");
        t.shown.echo = true;
        let shown = t.draw();
        assert!(shown.contains("the-echo"));
        assert!(!shown.contains("second-news"), "drawn as it was");
        assert!(t.shown.stale, "a later frame is due");
        t.shown.echo = false;
        assert!(t.draw().contains("second-news"));
    }
}
