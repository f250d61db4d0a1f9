//! `console=`: which outputs kernel messages go to, as Linux's
//! `console_setup` reads it. `ttyAMA0` (or the Pi's alias `serial0`) is the
//! UART, `tty0`/`tty1` the framebuffer console; an option may carry
//! settings after a comma (`ttyAMA0,115200`), which the UART's fixed speed
//! ignores. Several `console=` mean all of them; none means both, so a
//! user with either a serial cable or a screen sees the boot.

use crate::cmdline::Cmdline;

/// The outputs chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Consoles {
    /// The PL011 UART.
    pub serial: bool,
    /// The framebuffer console.
    pub fb: bool,
    /// Names that matched no console (reported, then ignored).
    pub unknown: usize,
}

/// Reads the `console=` options of `cmdline`.
pub fn console_setup(cmdline: &Cmdline) -> Consoles {
    let mut c = Consoles {
        serial: false,
        fb: false,
        unknown: 0,
    };
    let mut named = false;
    for p in cmdline.params().filter(|p| p.key == "console") {
        let name = p.value.unwrap_or("");
        let name = name.split(',').next().unwrap_or("");
        named = true;
        match name {
            "ttyAMA0" | "serial0" | "ttyS0" => c.serial = true,
            "tty0" | "tty1" => c.fb = true,
            _ => c.unknown += 1,
        }
    }
    if !named || (!c.serial && !c.fb) {
        // Nothing usable named: both, rather than a silent machine.
        c.serial = true;
        c.fb = true;
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(s: &str) -> (bool, bool, usize) {
        let c = console_setup(&Cmdline::new(s));
        (c.serial, c.fb, c.unknown)
    }

    #[test]
    fn linux_names() {
        assert_eq!(setup(""), (true, true, 0));
        assert_eq!(setup("console=ttyAMA0,115200"), (true, false, 0));
        assert_eq!(setup("console=serial0"), (true, false, 0));
        assert_eq!(setup("console=tty1"), (false, true, 0));
        assert_eq!(setup("console=tty0 console=ttyAMA0"), (true, true, 0));
        assert_eq!(setup("console=lp0"), (true, true, 1));
        assert_eq!(setup("console=lp0 console=tty0"), (false, true, 1));
        // After `--` it is init's argument, not ours.
        assert_eq!(setup("init=/init -- console=tty0"), (true, true, 0));
    }
}
