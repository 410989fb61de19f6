//! The schedule: when the TUI draws, which input it takes first, how much
//! of a flood each pane takes per frame, which panes rest after a key, and
//! which panes a frame draws afresh. Every such rule is here, in
//! [`Scheduler`] (the loop) and [`Shown`] (the frame's memory); the event
//! loop (`run`) only sets up and tears down, and `update` stays the one
//! place the state changes: the schedule's clocks come to it as
//! [`Msg::Tick`]s, and a tick that changes what is shown answers with
//! [`Effect::Draw`].
//!
//! The policy, in one place:
//! - A frame is drawn when something changed, at most every [`FRAME`],
//!   and at once for a key's echo. An idle TUI sleeps in `select!`.
//! - Input that is ready is taken for [`BATCH_TIME`] between frames: the
//!   focused pane's output first, then host reports and outcomes (a key
//!   typed after a list came acts on that list), then keys, then the other
//!   panes' output. A key is looked for after every piece.
//! - Each pane takes at most its share of output per frame
//!   ([`FRAME_SHARE`], [`FOCUSED_FRAME_SHARE`]) and the panes without the
//!   focus [`SIDE_TIME`] together; past it they rest (their agents and
//!   programs wait) until the next frame.
//! - After a key the other panes rest until its echo is drawn (or
//!   [`ECHO_WAIT`] passes): parsing a neighbour's flood while the echo is
//!   on its way only makes it wait. The echo's frame draws only the
//!   focused pane afresh.
//! - A pane without the focus is drawn afresh at most every
//!   [`SIDE_FRAME`].

use std::collections::HashMap;
use std::task::Poll;
use std::time::Duration;

use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use ratatui::buffer::Cell;
use ratatui::layout::Rect;
use tokio::sync::mpsc;
use tokio::time::{Instant, Interval, MissedTickBehavior};

use crate::msg::{Effect, Msg, SessionEvent, Tick};
use crate::state::State;
use crate::state::panes::PaneId;
use crate::tasks::Runner;
use crate::tasks::hosts::HostReport;
use crate::update::update;

/// At most this often; bursts of output between frames cost one draw.
pub const FRAME: Duration = Duration::from_millis(16);

/// How long ready input is taken in one go before the loop looks at the
/// frame clock again.
pub const BATCH_TIME: Duration = Duration::from_millis(4);

/// Output parsed per pane per frame, at most (the focused pane 16 MB/s
/// at 60 frames, another 12 MB/s): a pane flooded by `yes` or `cat` of a
/// big file waits for the next frame beyond it, its agent and program
/// with it.
pub const FRAME_SHARE: usize = 192 * 1024;
pub const FOCUSED_FRAME_SHARE: usize = 256 * 1024;

/// The time the panes without the focus may take, together, per frame:
/// past it they wait for the next frame, so floods in them never take
/// the machine from the keys typed in the focused one (a third of a
/// frame).
pub const SIDE_TIME: Duration = Duration::from_millis(5);

/// How long after a key the other panes wait for its echo.
pub const ECHO_WAIT: Duration = Duration::from_millis(500);

/// How often a pane without the focus is drawn afresh, at most. A pane
/// flooded with output changes every cell every frame; drawing it 20
/// times a second instead of 60 is a third of the bytes to the terminal
/// (ratatui rewrites a scrolled pane cell by cell). (100 ms measured no
/// better for the focused pane's echo, so the side panes stay smooth.)
pub const SIDE_FRAME: Duration = Duration::from_millis(50);

/// How often the list's ages are looked at: a shown age is at most this
/// late.
pub const AGES_EVERY: Duration = Duration::from_millis(500);

/// How often an open sessions picker asks for the sessions again (their
/// IDLE and STATE change at the agent).
pub const SESSIONS_EVERY: Duration = Duration::from_secs(2);

/// Where the loop's messages come from.
pub struct Inputs {
    pub terminal: Keys,
    pub reports: mpsc::Receiver<(usize, HostReport)>,
    pub msgs: mpsc::Receiver<Msg>,
}

/// The loop's clock and memory: whether a frame is wanted and when, the
/// key whose echo is awaited, the frame's shares, what each pane showed.
pub struct Scheduler {
    /// Something changed since the last frame that the next one shows:
    /// the focused pane, the list, a dialog, a pane's state.
    dirty: bool,
    /// Panes without the focus have news, and the first of them may be
    /// drawn afresh from then on ([`SIDE_FRAME`]): news only there wants
    /// no frame before it (a frame drawing them as they were is wasted).
    side: Option<Instant>,
    last_draw: Instant,
    /// When the frame's shares last started again.
    shares_from: Instant,
    /// A key was typed and its echo not drawn yet: the focused pane's next
    /// output (the echo) is drawn at once, not at the next frame (frames
    /// drawn for other panes meanwhile do not end the wait).
    typed: Option<Instant>,
    /// The focused pane's output came while a key waited: draw now.
    echo: bool,
    shares: Shares,
    shown: Shown,
    ages: Interval,
    sessions: Interval,
}

impl Default for Scheduler {
    fn default() -> Self {
        Self::new()
    }
}

impl Scheduler {
    pub fn new() -> Self {
        let every = |period| {
            let mut i = tokio::time::interval_at(Instant::now() + period, period);
            i.set_missed_tick_behavior(MissedTickBehavior::Delay);
            i
        };
        Scheduler {
            dirty: true,
            side: None,
            last_draw: Instant::now() - FRAME,
            shares_from: Instant::now(),
            typed: None,
            echo: false,
            shares: Shares::default(),
            shown: Shown::default(),
            ages: every(AGES_EVERY),
            sessions: every(SESSIONS_EVERY),
        }
    }

    /// When the next frame is due, if one is wanted: a frame interval
    /// after the last for what it shows (at once for an echo), and for
    /// news only in panes without the focus, not before the first may be
    /// drawn afresh.
    fn next_frame(&self) -> Option<Instant> {
        let after_last = self.last_draw + FRAME;
        if self.dirty {
            Some(if self.echo {
                self.last_draw
            } else {
                after_last
            })
        } else {
            self.side.map(|side| side.max(after_last))
        }
    }

    /// A frame is due now.
    pub fn frame_due(&self) -> bool {
        self.next_frame().is_some_and(|due| Instant::now() >= due)
    }

    /// Draws a frame with `draw` if one is due. Drawing comes before
    /// waiting: under a flood the queues are never empty, and a draw
    /// waiting in `select!` would lose to them every time. (`draw` is the
    /// run's: the drawing code uses [`Shown`] and does not call back here.)
    pub fn draw_if_due(
        &mut self,
        draw: impl FnOnce(&mut Shown) -> std::io::Result<()>,
        runner: &mut Runner,
    ) -> std::io::Result<()> {
        if !self.frame_due() {
            return Ok(());
        }
        self.shown.echo = self.echo;
        draw(&mut self.shown)?;
        self.drawn(runner);
        Ok(())
    }

    /// A frame was drawn: a key's echo drawn (or waited for long enough)
    /// lets the other panes go on.
    fn drawn(&mut self, runner: &mut Runner) {
        self.dirty = false;
        // A pane drawn as it was: its news comes with a later frame.
        self.side = self.shown.stale_due.map(Instant::from_std);
        if std::mem::take(&mut self.echo) || self.typed.is_some_and(|t| t.elapsed() > ECHO_WAIT) {
            self.typed = None;
            runner.wake_all();
        }
        self.last_draw = Instant::now();
    }

    /// The frame's shares start again every [`FRAME`], drawn or not: how
    /// much a flood may take does not depend on how often it is shown.
    fn renew_shares(&mut self, runner: &mut Runner) {
        if Instant::now() >= self.shares_from + FRAME {
            self.shares_from = Instant::now();
            self.shares = Shares::default();
            runner.wake_all();
        }
    }

    /// Waits for the next message (or the frame clock), then takes it and
    /// whatever else is ready within [`BATCH_TIME`]. False when the
    /// terminal's events have ended.
    pub async fn take_next(
        &mut self,
        inputs: &mut Inputs,
        state: &mut State,
        runner: &mut Runner,
    ) -> std::io::Result<bool> {
        self.renew_shares(runner);
        let frame = self.next_frame();
        let renew = self.shares_from + FRAME;
        let msg = tokio::select! {
            biased;
            ev = inputs.terminal.next() => match ev {
                Some(Ok(ev)) => Some(Msg::Terminal(ev)),
                Some(Err(e)) => return Err(e),
                None => return Ok(false),
            },
            // A frame is due: what is ready still gets its slice below,
            // so output already queued (a keystroke's echo) is in it.
            _ = tokio::time::sleep_until(frame.unwrap_or(renew)), if frame.is_some() => None,
            // Panes resting for their share go on at the next one.
            _ = tokio::time::sleep_until(renew), if runner.resting() => None,
            Some((host, report)) = inputs.reports.recv() => Some(runner.on_host(host, report)),
            Some(msg) = inputs.msgs.recv() => Some(msg),
            Some((pane, ev)) = runner.next_session_event() => Some(Msg::Session { pane, ev }),
            _ = self.ages.tick() => Some(Msg::Tick(Tick::Ages)),
            _ = self.sessions.tick() => Some(Msg::Tick(Tick::Sessions)),
        };
        if let Some(msg) = msg {
            self.take(msg, state, runner);
        }
        // Whatever else is ready, for a bounded time: a flood is handled
        // in slices between frames and key presses. A key typed meanwhile
        // is taken after the piece in hand, not after the slice: its
        // echo's round trip starts at once.
        let slice = Instant::now() + BATCH_TIME;
        while Instant::now() < slice && !self.echo {
            let Some(msg) = Self::ready(inputs, state, runner).await? else {
                break;
            };
            self.take(msg, state, runner);
        }
        Ok(true)
    }

    /// The next message that is ready now, in the schedule's order.
    async fn ready(
        inputs: &mut Inputs,
        state: &State,
        runner: &mut Runner,
    ) -> std::io::Result<Option<Msg>> {
        let focused = state
            .focused_pane()
            .and_then(|p| runner.ready_event_of(p).map(|ev| (p, ev)));
        Ok(Some(if let Some((pane, ev)) = focused {
            Msg::Session { pane, ev }
        } else if let Ok((host, report)) = inputs.reports.try_recv() {
            runner.on_host(host, report)
        } else if let Ok(msg) = inputs.msgs.try_recv() {
            msg
        } else if let Poll::Ready(Some(ev)) = futures::poll!(inputs.terminal.next()) {
            Msg::Terminal(ev?)
        } else if let Some((pane, ev)) = runner.ready_session_event() {
            Msg::Session { pane, ev }
        } else {
            return Ok(None);
        }))
    }

    /// Steps `msg` through `update`, noting a key (whose echo is awaited)
    /// and the focused pane's output that answers it, and counting output
    /// against its pane's share of the frame.
    pub fn take(&mut self, msg: Msg, state: &mut State, runner: &mut Runner) {
        let typing = matches!(msg, Msg::Terminal(Event::Key(_) | Event::Paste(_)));
        if typing {
            self.typed = Some(Instant::now());
        }
        if self.typed.is_some() && is_focused_output(state, &msg) {
            self.echo = true;
        }
        let output = match &msg {
            Msg::Session {
                pane,
                ev: SessionEvent::Output(data),
            } => Some((*pane, data.len())),
            _ => None,
        };
        match output {
            // News in a pane without the focus: shown when it may be
            // drawn afresh.
            Some((pane, _)) if state.focused_pane() != Some(pane) => {
                let due = Instant::from_std(self.shown.fresh_from(pane));
                self.side = Some(self.side.map_or(due, |side| side.min(due)));
            }
            // A tick changes nothing shown unless `update` says so.
            _ if matches!(msg, Msg::Tick(_)) => {}
            _ => self.dirty = true,
        }
        let started = Instant::now();
        self.carry_out(update(state, msg), runner);
        if let Some((pane, len)) = output {
            self.shares
                .took(pane, len, started.elapsed(), state.focused_pane(), runner);
        }
        if typing {
            runner.rest_all_but(state.focused_pane());
        }
    }

    /// Hands `update`'s effects to the runner; a frame asked for is the
    /// schedule's own.
    pub fn carry_out(&mut self, effects: Vec<Effect>, runner: &mut Runner) {
        for effect in effects {
            match effect {
                Effect::Draw => self.dirty = true,
                other => runner.carry_out(other),
            }
        }
    }
}

/// The terminal's events, looked at only when there may be one: after an
/// event (more may be buffered) or once crossterm's waiting thread has
/// woken the loop. crossterm answers every look by locking its reader,
/// which that thread holds while it waits, and the lock spins and yields
/// the processor before it gives up: looked at after every piece of a
/// flood, that was a tenth of the TUI's time under four `yes`.
pub struct Keys {
    events: EventStream,
    woken: std::sync::Arc<Woken>,
    /// The last look found an event: another may be ready at once.
    more: bool,
}

/// Set when crossterm's thread wakes the loop, and passing the wake on.
struct Woken {
    flag: std::sync::atomic::AtomicBool,
    task: std::sync::Mutex<Option<std::task::Waker>>,
}

impl futures::task::ArcWake for Woken {
    fn wake_by_ref(arc_self: &std::sync::Arc<Self>) {
        arc_self
            .flag
            .store(true, std::sync::atomic::Ordering::Release);
        let task = arc_self.task.lock().ok().and_then(|t| t.clone());
        if let Some(task) = task {
            task.wake();
        }
    }
}

impl Keys {
    pub fn new() -> Self {
        Keys {
            events: EventStream::new(),
            woken: std::sync::Arc::new(Woken {
                flag: std::sync::atomic::AtomicBool::new(false),
                task: std::sync::Mutex::new(None),
            }),
            more: true,
        }
    }
}

impl Default for Keys {
    fn default() -> Self {
        Self::new()
    }
}

impl futures::Stream for Keys {
    type Item = std::io::Result<Event>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<Option<Self::Item>> {
        // The loop's task is the one to wake (crossterm's thread keeps the
        // first waker it is given until a key comes, so it must be one
        // that reaches this task, not a throwaway).
        if let Ok(mut task) = self.woken.task.lock()
            && !task.as_ref().is_some_and(|t| t.will_wake(cx.waker()))
        {
            *task = Some(cx.waker().clone());
        }
        let woken = self
            .woken
            .flag
            .swap(false, std::sync::atomic::Ordering::AcqRel);
        if !self.more && !woken {
            return Poll::Pending;
        }
        let waker = futures::task::waker(self.woken.clone());
        let polled = self
            .events
            .poll_next_unpin(&mut std::task::Context::from_waker(&waker));
        self.more = polled.is_ready();
        polled
    }
}

/// The focused pane's output.
fn is_focused_output(state: &State, msg: &Msg) -> bool {
    matches!(
        msg,
        Msg::Session { pane, ev: SessionEvent::Output(_) } if Some(*pane) == state.focused_pane()
    )
}

/// What each pane took of the frame so far.
#[derive(Default)]
struct Shares {
    /// Output bytes, per pane.
    taken: HashMap<PaneId, usize>,
    /// Time taken by the output of panes without the focus.
    side: Duration,
}

impl Shares {
    /// `pane` took `len` bytes in `spent`: past its share its session
    /// rests until the next frame, and past [`SIDE_TIME`] every pane but
    /// the focused one does.
    fn took(
        &mut self,
        pane: PaneId,
        len: usize,
        spent: Duration,
        focused: Option<PaneId>,
        runner: &mut Runner,
    ) {
        let is_focused = focused == Some(pane);
        let total = self.taken.entry(pane).or_default();
        *total += len;
        let share = if is_focused {
            FOCUSED_FRAME_SHARE
        } else {
            FRAME_SHARE
        };
        if *total >= share {
            runner.rest(pane);
        }
        if !is_focused {
            self.side += spent;
            if self.side >= SIDE_TIME {
                runner.rest_all_but(focused);
            }
        }
    }
}

/// What each pane's screen showed when last drawn afresh (when, its area,
/// its terminal's change count, its cells), and so which panes a frame
/// may draw as they were.
#[derive(Default)]
pub struct Shown {
    panes: HashMap<PaneId, (std::time::Instant, Rect, u64, Vec<Cell>)>,
    /// A pane was drawn as it was though it had news: another frame is
    /// needed soon for them.
    pub stale: bool,
    /// When the first of those may be drawn afresh.
    pub stale_due: Option<std::time::Instant>,
    /// The frame is for an echo: the panes without the focus are drawn as
    /// they were, however long ago (the next frame brings their news), so
    /// the echo costs only its pane's cells.
    pub echo: bool,
}

impl Shown {
    /// Starts a frame showing `panes` (the others are forgotten).
    pub fn start_frame(&mut self, panes: &[(PaneId, Rect)]) {
        self.panes
            .retain(|id, _| panes.iter().any(|(p, _)| p == id));
        self.stale = false;
        self.stale_due = None;
    }

    /// From when pane `id` may be drawn afresh (at once if never drawn).
    pub fn fresh_from(&self, id: PaneId) -> std::time::Instant {
        self.panes
            .get(&id)
            .map_or_else(std::time::Instant::now, |(at, ..)| *at + SIDE_FRAME)
    }

    /// The cells to draw pane `id` with as it was, if it may be: it is not
    /// focused, its area is the same, and it has not changed since (its
    /// terminal's count is `changes`), or it was drawn afresh less than
    /// [`SIDE_FRAME`] ago, or the frame is for an echo.
    pub fn reusable(
        &mut self,
        id: PaneId,
        area: Rect,
        changes: u64,
        focused: bool,
    ) -> Option<&[Cell]> {
        let echo = self.echo;
        let (at, _, seen, cells) = self.panes.get(&id).filter(|(at, was, seen, _)| {
            !focused && *was == area && (*seen == changes || echo || at.elapsed() < SIDE_FRAME)
        })?;
        if *seen != changes {
            self.stale = true;
            let due = *at + SIDE_FRAME;
            self.stale_due = Some(self.stale_due.map_or(due, |d| d.min(due)));
        }
        Some(cells)
    }

    /// Pane `id` was drawn afresh at `area` with `cells`.
    pub fn remember(&mut self, id: PaneId, area: Rect, changes: u64, cells: Vec<Cell>) {
        self.panes
            .insert(id, (std::time::Instant::now(), area, changes, cells));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::Tick;
    use crate::ui::testing::{key, state_with_panes};
    use crossterm::event::{KeyCode, KeyModifiers};

    fn runner() -> Runner {
        Runner::new(mpsc::channel(8).0, dockyard_term::Limits::default())
    }

    fn output(pane: PaneId, text: &str) -> Msg {
        Msg::Session {
            pane,
            ev: SessionEvent::Output(text.as_bytes().to_vec().into()),
        }
    }

    /// Output waits for the frame clock; a key's echo (the focused pane's
    /// next output) is drawn at once, and another pane's output is not an
    /// echo.
    #[tokio::test]
    async fn an_echo_is_drawn_at_once_and_other_output_at_the_frame() {
        let mut h = state_with_panes(120, 30, 2);
        h.focus_pane(2);
        let (mut s, mut r) = (Scheduler::new(), runner());
        s.drawn(&mut r);
        s.last_draw = Instant::now();
        assert!(!s.frame_due(), "nothing changed");
        s.take(output(2, "news"), &mut h.state, &mut r);
        assert!(!s.frame_due(), "news waits for the frame");
        s.take(
            key(KeyCode::Char('x'), KeyModifiers::NONE),
            &mut h.state,
            &mut r,
        );
        s.take(output(1, "a neighbour"), &mut h.state, &mut r);
        assert!(!s.frame_due(), "a neighbour's output is no echo");
        s.take(output(2, "x"), &mut h.state, &mut r);
        assert!(s.frame_due(), "the echo is drawn at once");
        s.drawn(&mut r);
        s.last_draw = Instant::now();
        s.take(output(2, "more"), &mut h.state, &mut r);
        assert!(!s.frame_due(), "one echo per key");
        s.last_draw = Instant::now() - FRAME;
        assert!(s.frame_due(), "the frame clock draws the rest");
    }

    /// News only in a pane without the focus wants no frame before that
    /// pane may be drawn afresh: frames that would draw it as it was are
    /// not drawn.
    #[tokio::test]
    async fn side_news_alone_waits_for_its_pane() {
        let mut h = state_with_panes(120, 30, 2);
        h.focus_pane(2);
        let (mut s, mut r) = (Scheduler::new(), runner());
        s.drawn(&mut r);
        s.last_draw = Instant::now() - FRAME;
        s.shown.remember(1, Rect::new(0, 0, 10, 10), 0, vec![]);
        s.take(output(1, "news"), &mut h.state, &mut r);
        assert!(!s.frame_due(), "drawn afresh less than SIDE_FRAME ago");
        std::thread::sleep(SIDE_FRAME);
        assert!(s.frame_due(), "now it may be");
        s.drawn(&mut r);
        s.last_draw = Instant::now() - FRAME;
        s.take(output(2, "focused"), &mut h.state, &mut r);
        assert!(s.frame_due(), "the focused pane's news goes at the frame");
    }

    /// The clocks go through `update`: a tick asks for a frame only when
    /// a shown age moved on, and for the sessions only while the picker
    /// is open.
    #[tokio::test]
    async fn ticks_draw_only_what_moved() {
        let mut h = state_with_panes(120, 30, 1);
        let (mut s, mut r) = (Scheduler::new(), runner());
        h.state.ages_shown = h.state.ages_digest(std::time::Instant::now());
        s.drawn(&mut r);
        s.last_draw = Instant::now() - FRAME;
        s.take(Msg::Tick(Tick::Ages), &mut h.state, &mut r);
        assert!(!s.frame_due(), "nothing moved: an idle TUI draws nothing");
        h.state.ages_shown ^= 1;
        s.take(Msg::Tick(Tick::Ages), &mut h.state, &mut r);
        assert!(s.frame_due(), "an age moved on");
        assert_eq!(h.send(Msg::Tick(Tick::Sessions)), vec![]);
        h.state.mode = crate::state::Mode::Sessions(Default::default());
        assert_eq!(
            h.send(Msg::Tick(Tick::Sessions)),
            vec![Effect::ListSessions]
        );
    }
}
