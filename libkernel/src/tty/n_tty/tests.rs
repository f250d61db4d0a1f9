//! The line discipline against what Linux's `n_tty.c` does with the same
//! bytes and settings.

use super::*;
use crate::uapi::signal::{SIGINT, SIGQUIT, SIGTSTP};

/// Types `input`; returns the echo and the receipt.
fn feed(n: &mut NTty, input: &[u8]) -> (Vec<u8>, Receipt) {
    let mut echo = Vec::new();
    let r = n.receive_buf(input, &mut |c| echo.push(c));
    (echo, r)
}

/// A canonical read with a buffer of `size` bytes.
fn read_line(n: &mut NTty, size: usize) -> Vec<u8> {
    assert!(n.input_available(false), "no complete line to read");
    let mut b = vec![0u8; size];
    let k = n.read_canon(&mut b);
    b.truncate(k);
    b
}

fn read_all_raw(n: &mut NTty) -> Vec<u8> {
    let mut b = vec![0u8; N_TTY_BUF_SIZE];
    let k = n.read_raw(&mut b);
    b.truncate(k);
    b
}

fn with(f: impl FnOnce(&mut Termios)) -> NTty {
    let mut n = NTty::new();
    let mut t = *n.termios();
    f(&mut t);
    n.set_termios(t);
    n
}

fn output(n: &mut NTty, s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    n.write_output(s, &mut |c| out.push(c));
    out
}

#[test]
fn starts_with_linux_tty_std_termios() {
    let n = NTty::new();
    assert_eq!(*n.termios(), Termios::linux_default());
    assert!(n.is_canonical());
    assert!(!n.input_available(false));
}

#[test]
fn canonical_line_is_readable_only_when_complete_and_echoed_with_crlf() {
    let mut n = NTty::new();
    let (echo, r) = feed(&mut n, b"ab");
    assert_eq!(echo, b"ab");
    assert!(!r.wake_readers);
    assert!(!n.input_available(false));
    // CR becomes NL (ICRNL); NL echoes as CR NL (OPOST|ONLCR).
    let (echo, r) = feed(&mut n, b"\r");
    assert_eq!(echo, b"\r\n");
    assert!(r.wake_readers);
    assert_eq!(read_line(&mut n, 100), b"ab\n");
    assert!(!n.input_available(false));
}

#[test]
fn reads_take_one_line_at_a_time() {
    let mut n = NTty::new();
    feed(&mut n, b"one\ntwo\n");
    assert_eq!(read_line(&mut n, 100), b"one\n");
    assert_eq!(read_line(&mut n, 100), b"two\n");
}

#[test]
fn a_short_buffer_takes_the_line_in_parts() {
    let mut n = NTty::new();
    feed(&mut n, b"abcdef\n");
    assert_eq!(read_line(&mut n, 3), b"abc");
    assert_eq!(read_line(&mut n, 3), b"def");
    assert_eq!(read_line(&mut n, 3), b"\n");
    assert!(!n.input_available(false));
}

#[test]
fn erase_removes_a_character_and_rubs_it_out() {
    let mut n = NTty::new();
    let (echo, _) = feed(&mut n, b"abc\x7f\x7fd\n");
    assert_eq!(echo, b"abc\x08 \x08\x08 \x08d\r\n");
    assert_eq!(read_line(&mut n, 100), b"ad\n");
}

#[test]
fn erase_at_line_start_does_nothing() {
    let mut n = NTty::new();
    let (echo, _) = feed(&mut n, b"x\n\x7f\x7fy\n");
    assert_eq!(echo, b"x\r\ny\r\n");
    assert_eq!(read_line(&mut n, 100), b"x\n");
    assert_eq!(read_line(&mut n, 100), b"y\n");
}

#[test]
fn kill_with_echoke_erases_the_line_visibly() {
    let mut n = NTty::new();
    let (echo, _) = feed(&mut n, b"abc\x15x\n");
    assert_eq!(echo, b"abc\x08 \x08\x08 \x08\x08 \x08x\r\n");
    assert_eq!(read_line(&mut n, 100), b"x\n");
}

#[test]
fn kill_without_echoke_echoes_the_character_and_a_newline() {
    let mut n = with(|t| t.c_lflag &= !ECHOKE);
    let (echo, _) = feed(&mut n, b"abc\x15x\n");
    assert_eq!(echo, b"abc^U\r\nx\r\n");
    assert_eq!(read_line(&mut n, 100), b"x\n");
}

#[test]
fn kill_without_echo_is_silent() {
    let mut n = with(|t| t.c_lflag &= !ECHO);
    let (echo, _) = feed(&mut n, b"abc\x15x\n");
    assert_eq!(echo, b"");
    assert_eq!(read_line(&mut n, 100), b"x\n");
}

#[test]
fn werase_takes_back_a_word_and_the_blanks_after_it() {
    let mut n = NTty::new();
    feed(&mut n, b"foo bar_1 \x17");
    feed(&mut n, b"\n");
    assert_eq!(read_line(&mut n, 100), b"foo \n");
    feed(&mut n, b"foo bar\x17\x17x\n");
    assert_eq!(read_line(&mut n, 100), b"x\n");
}

#[test]
fn werase_needs_iexten() {
    let mut n = with(|t| t.c_lflag &= !IEXTEN);
    feed(&mut n, b"ab\x17\n");
    assert_eq!(read_line(&mut n, 100), b"ab\x17\n");
}

#[test]
fn erase_without_echoe_echoes_the_erase_character() {
    let mut n = with(|t| t.c_lflag &= !ECHOE);
    let (echo, _) = feed(&mut n, b"ab\x7f\n");
    assert_eq!(echo, b"ab^?\r\n");
    assert_eq!(read_line(&mut n, 100), b"a\n");
}

#[test]
fn eof_at_line_start_reads_zero_bytes_and_is_not_echoed() {
    let mut n = NTty::new();
    let (echo, r) = feed(&mut n, b"\x04");
    assert_eq!(echo, b"");
    assert!(r.wake_readers);
    assert_eq!(read_line(&mut n, 100), b"");
    assert!(!n.input_available(false));
}

#[test]
fn eof_mid_line_ends_it_without_a_newline() {
    let mut n = NTty::new();
    feed(&mut n, b"abc\x04def\n");
    assert_eq!(n.chars_in_buffer(), 7);
    assert_eq!(read_line(&mut n, 100), b"abc");
    assert_eq!(read_line(&mut n, 100), b"def\n");
}

#[test]
fn eol_ends_a_line_and_is_kept() {
    let mut n = with(|t| t.c_cc[VEOL] = b';');
    let (echo, _) = feed(&mut n, b"a;b");
    assert_eq!(echo, b"a;b");
    assert_eq!(read_line(&mut n, 100), b"a;");
    assert!(!n.input_available(false));
}

#[test]
fn echoctl_shows_control_characters_and_erases_both_columns() {
    let mut n = NTty::new();
    let (echo, _) = feed(&mut n, b"a\x01\x7f\n");
    assert_eq!(echo, b"a^A\x08 \x08\x08 \x08\r\n");
    assert_eq!(read_line(&mut n, 100), b"a\n");
    let mut n = with(|t| t.c_lflag &= !ECHOCTL);
    let (echo, _) = feed(&mut n, b"a\x01\n");
    assert_eq!(echo, b"a\x01\r\n");
}

#[test]
fn erasing_a_tab_goes_back_to_where_it_started() {
    let mut n = NTty::new();
    // A prompt of two columns, then a tab to column 8.
    assert_eq!(output(&mut n, b"$ "), b"$ ");
    let (echo, _) = feed(&mut n, b"\t\x7f");
    assert_eq!(echo, b"\t\x08\x08\x08\x08\x08\x08");
    // After "ab" a tab spans columns 4..8 from the prompt's end.
    let (echo, _) = feed(&mut n, b"ab\t\x7f");
    assert_eq!(echo, b"ab\t\x08\x08\x08\x08");
}

#[test]
fn intr_raises_sigint_flushes_and_echoes_caret_c() {
    let mut n = NTty::new();
    feed(&mut n, b"done\n");
    let (echo, r) = feed(&mut n, b"ab\x03");
    assert_eq!(echo, b"ab^C");
    assert_eq!(r.signals(), &[SIGINT as u8]);
    assert!(!n.input_available(false), "input was not flushed");
    assert_eq!(n.chars_in_buffer(), 0);
}

#[test]
fn noflsh_keeps_the_input() {
    let mut n = with(|t| t.c_lflag |= NOFLSH);
    feed(&mut n, b"done\n");
    let (_, r) = feed(&mut n, b"\x03");
    assert_eq!(r.signals(), &[SIGINT as u8]);
    assert_eq!(read_line(&mut n, 100), b"done\n");
}

#[test]
fn quit_and_susp_raise_their_signals_once_each() {
    let mut n = NTty::new();
    let (echo, r) = feed(&mut n, b"\x1c\x1a\x1a");
    assert_eq!(echo, b"^\\^Z^Z");
    assert_eq!(r.signals(), &[SIGQUIT as u8, SIGTSTP as u8]);
}

#[test]
fn without_isig_the_characters_are_data() {
    let mut n = with(|t| t.c_lflag &= !ISIG);
    let (_, r) = feed(&mut n, b"\x03\n");
    assert!(r.signals().is_empty());
    assert_eq!(read_line(&mut n, 100), b"\x03\n");
}

#[test]
fn a_disabled_character_is_never_special() {
    // VINTR set to 0 (_POSIX_VDISABLE): NUL is data, not an interrupt.
    let mut n = with(|t| t.c_cc[VINTR] = 0);
    let (_, r) = feed(&mut n, b"\0\x03\n");
    assert!(r.signals().is_empty());
    assert_eq!(read_line(&mut n, 100), b"\0\x03\n");
}

#[test]
fn input_cr_nl_mapping_flags() {
    let mut n = with(|t| t.c_iflag &= !ICRNL);
    feed(&mut n, b"a\rb\n");
    assert_eq!(read_line(&mut n, 100), b"a\rb\n");
    let mut n = with(|t| t.c_iflag |= IGNCR);
    feed(&mut n, b"a\rb\n");
    assert_eq!(read_line(&mut n, 100), b"ab\n");
    // INLCR: NL becomes CR, which then does not end the line.
    let mut n = with(|t| {
        t.c_iflag = INLCR;
        t.c_lflag &= !ICANON;
    });
    feed(&mut n, b"a\n");
    assert_eq!(read_all_raw(&mut n), b"a\r");
}

#[test]
fn istrip_clears_the_eighth_bit() {
    let mut n = with(|t| t.c_iflag |= ISTRIP);
    feed(&mut n, b"\xe1\x8a");
    assert_eq!(read_line(&mut n, 100), b"a\n");
}

#[test]
fn echonl_echoes_newline_without_echo() {
    let mut n = with(|t| {
        t.c_lflag &= !ECHO;
        t.c_lflag |= ECHONL;
    });
    let (echo, _) = feed(&mut n, b"secret\n");
    assert_eq!(echo, b"\r\n");
    assert_eq!(read_line(&mut n, 100), b"secret\n");
}

#[test]
fn lnext_quotes_the_next_character() {
    let mut n = NTty::new();
    let (echo, r) = feed(&mut n, b"\x16\x03\x16\x7f\n");
    assert!(r.signals().is_empty());
    assert_eq!(echo, b"^\x08^C^\x08^?\r\n");
    assert_eq!(read_line(&mut n, 100), b"\x03\x7f\n");
}

#[test]
fn reprint_echoes_the_line_again() {
    let mut n = NTty::new();
    let (echo, _) = feed(&mut n, b"ab\x12");
    assert_eq!(echo, b"ab^R\r\nab");
}

#[test]
fn utf8_erase_takes_the_whole_character() {
    let mut n = with(|t| t.c_iflag |= IUTF8);
    let (echo, _) = feed(&mut n, "aé\x7f\n".as_bytes());
    assert_eq!(echo, "aé\x08 \x08\r\n".as_bytes());
    assert_eq!(read_line(&mut n, 100), b"a\n");
}

#[test]
fn echoprt_shows_erased_characters_between_slashes() {
    let mut n = with(|t| t.c_lflag |= ECHOPRT);
    let (echo, _) = feed(&mut n, b"abc\x7f\x7fd\n");
    assert_eq!(echo, b"abc\\cb/d\r\n");
}

#[test]
fn ixon_stop_and_start_are_consumed() {
    let mut n = NTty::new();
    let (_, r) = feed(&mut n, b"\x13");
    assert!(n.stopped() && r.flow_changed);
    let (_, r) = feed(&mut n, b"\x11x\n");
    assert!(!n.stopped() && r.flow_changed);
    assert_eq!(read_line(&mut n, 100), b"x\n");
    // Without IXON they are data.
    let mut n = with(|t| t.c_iflag &= !IXON);
    feed(&mut n, b"\x13\x11\n");
    assert!(!n.stopped());
    assert_eq!(read_line(&mut n, 100), b"\x13\x11\n");
}

#[test]
fn ixany_restarts_on_any_character() {
    let mut n = with(|t| t.c_iflag |= IXANY);
    feed(&mut n, b"\x13");
    assert!(n.stopped());
    let (_, r) = feed(&mut n, b"a");
    assert!(!n.stopped() && r.flow_changed);
}

#[test]
fn raw_mode_delivers_bytes_at_once_without_editing() {
    let mut n = with(|t| {
        t.c_lflag &= !(ICANON | ECHO | ISIG | IEXTEN);
        t.c_iflag &= !(ICRNL | IXON);
    });
    let (echo, r) = feed(&mut n, b"a\x7f\x03\r");
    assert_eq!(echo, b"");
    assert!(r.signals().is_empty());
    assert!(r.wake_readers);
    assert_eq!(n.chars_in_buffer(), 4);
    assert_eq!(read_all_raw(&mut n), b"a\x7f\x03\r");
}

#[test]
fn non_canonical_echo_still_works() {
    let mut n = with(|t| t.c_lflag &= !ICANON);
    let (echo, _) = feed(&mut n, b"a\r\x01");
    // CR -> NL (ICRNL), echoed as CR NL; ^A shown as ^A.
    assert_eq!(echo, b"a\r\n^A");
    assert_eq!(read_all_raw(&mut n), b"a\n\x01");
}

#[test]
fn poll_waits_for_vmin_bytes_when_vtime_is_zero() {
    let mut n = with(|t| {
        t.c_lflag &= !ICANON;
        t.c_cc[VMIN] = 3;
        t.c_cc[VTIME] = 0;
    });
    feed(&mut n, b"ab");
    assert!(n.input_available(false));
    assert!(!n.input_available(true));
    feed(&mut n, b"c");
    assert!(n.input_available(true));
}

#[test]
fn vmin_vtime_wait_rules() {
    let mut t = Termios::linux_default();
    t.c_lflag &= !ICANON;
    let w = |min: u8, time: u8, nr: usize| {
        let mut t = t;
        t.c_cc[VMIN] = min;
        t.c_cc[VTIME] = time;
        NonCanonWait::new(&t, nr)
    };
    let blocking = NonCanonWait {
        minimum: 4,
        first_timeout: None,
        inter_byte: 0,
    };
    assert_eq!(w(4, 0, 100), blocking);
    // MIN is capped by the read's size.
    assert_eq!(w(4, 0, 2).minimum, 2);
    let polling = NonCanonWait {
        minimum: 1,
        first_timeout: Some(0),
        inter_byte: 0,
    };
    assert_eq!(w(0, 0, 100), polling);
    assert_eq!(w(0, 5, 100).first_timeout, Some(5));
    let interbyte = w(2, 3, 100);
    assert_eq!(
        (
            interbyte.minimum,
            interbyte.first_timeout,
            interbyte.inter_byte
        ),
        (2, None, 3)
    );
}

#[test]
fn switching_canonical_off_makes_a_half_line_readable() {
    let mut n = NTty::new();
    feed(&mut n, b"ab");
    let mut t = *n.termios();
    t.c_lflag &= !ICANON;
    n.set_termios(t);
    assert!(n.input_available(false));
    assert_eq!(read_all_raw(&mut n), b"ab");
}

#[test]
fn switching_canonical_on_makes_pending_input_a_line() {
    let mut n = with(|t| t.c_lflag &= !ICANON);
    feed(&mut n, b"xy");
    let mut t = *n.termios();
    t.c_lflag |= ICANON;
    n.set_termios(t);
    assert_eq!(read_line(&mut n, 100), b"xy");
    assert!(!n.input_available(false));
}

#[test]
fn fionread_counts_complete_lines_without_eof_markers() {
    let mut n = NTty::new();
    feed(&mut n, b"ab\n\x04cd");
    assert_eq!(n.chars_in_buffer(), 3);
    n.flush_input();
    assert_eq!(n.chars_in_buffer(), 0);
    assert!(!n.input_available(false));
}

#[test]
fn a_full_canonical_buffer_still_takes_the_newline() {
    let mut n = NTty::new();
    let line = vec![b'a'; N_TTY_BUF_SIZE + 10];
    let (echo, _) = feed(&mut n, &line);
    assert_eq!(
        echo.iter().filter(|&&c| c == b'a').count(),
        N_TTY_BUF_SIZE - 1
    );
    assert_eq!(echo.iter().filter(|&&c| c == BEL).count(), 11);
    assert_eq!(n.overruns(), 11);
    // Erase still works on a full buffer, and the newline fits.
    feed(&mut n, b"\x7f\n");
    let got = read_line(&mut n, 2 * N_TTY_BUF_SIZE);
    assert_eq!(got.len(), N_TTY_BUF_SIZE - 1);
    assert_eq!(got.last(), Some(&b'\n'));
    // The ring wraps correctly afterwards.
    feed(&mut n, b"again\n");
    assert_eq!(read_line(&mut n, 100), b"again\n");
}

#[test]
fn a_full_raw_buffer_drops_the_excess() {
    let mut n = with(|t| t.c_lflag &= !(ICANON | ECHO));
    feed(&mut n, &vec![b'z'; N_TTY_BUF_SIZE + 5]);
    assert_eq!(n.overruns(), 5);
    assert_eq!(read_all_raw(&mut n).len(), N_TTY_BUF_SIZE);
}

#[test]
fn opost_onlcr_turns_nl_into_crnl() {
    let mut n = NTty::new();
    assert_eq!(output(&mut n, b"a\nb\n"), b"a\r\nb\r\n");
    let mut n = with(|t| t.c_oflag &= !OPOST);
    assert_eq!(output(&mut n, b"a\nb\n"), b"a\nb\n");
    let mut n = with(|t| t.c_oflag = OPOST);
    assert_eq!(output(&mut n, b"a\n"), b"a\n");
}

#[test]
fn other_output_flags() {
    let mut n = with(|t| t.c_oflag = OPOST | OCRNL);
    assert_eq!(output(&mut n, b"a\rb"), b"a\nb");
    let mut n = with(|t| t.c_oflag = OPOST | ONOCR);
    assert_eq!(output(&mut n, b"\rab\r"), b"ab\r");
    let mut n = with(|t| t.c_oflag = OPOST | XTABS);
    assert_eq!(output(&mut n, b"ab\tc"), b"ab      c");
    let mut n = with(|t| t.c_oflag = OPOST | OLCUC);
    assert_eq!(output(&mut n, b"abC1"), b"ABC1");
}
