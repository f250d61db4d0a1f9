//! What a hung kernel cannot say for itself: every vCPU's program counter
//! and frame-pointer backtrace, read through QEMU's human monitor.
//!
//! A CPU spinning with IRQs masked never takes the tick or the SysRq
//! interrupt, so its own dump cannot name where it is. QEMU still knows:
//! `info registers -a` gives each vCPU's PC, LR (X30) and frame pointer
//! (X29), and `x /2gx FP` walks the AAPCS64 frame records (`[fp] = caller's
//! fp`, `[fp + 8] = return address`). This module parses those replies and
//! names the addresses with the kernel's own symbol table (the kallsyms
//! blob inside the image).

use libkernel::trace::Kallsyms;

/// The registers of one vCPU that locate it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CpuRegs {
    pub cpu: usize,
    pub pc: u64,
    pub lr: u64,
    pub fp: u64,
    pub sp: u64,
    pub pstate: u64,
}

impl CpuRegs {
    /// IRQs masked (PSTATE.I)?
    pub fn irqs_masked(&self) -> bool {
        self.pstate & (1 << 7) != 0
    }

    /// The exception level and stack pointer selection, as QEMU prints it.
    pub fn mode(&self) -> &'static str {
        match self.pstate & 0xf {
            0 => "EL0t",
            4 => "EL1t",
            5 => "EL1h",
            _ => "EL?",
        }
    }
}

/// `NAME=hexvalue` anywhere in `line` (QEMU pads names: ` PC=`, `SP=`).
fn field(line: &str, name: &str) -> Option<u64> {
    let mut rest = line;
    while let Some(i) = rest.find(name) {
        let before_ok = i == 0 || !rest.as_bytes()[i - 1].is_ascii_alphanumeric();
        let after = &rest[i + name.len()..];
        if before_ok {
            if let Some(v) = after.strip_prefix('=') {
                let hex: String = v.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
                return u64::from_str_radix(&hex, 16).ok();
            }
        }
        rest = after;
    }
    None
}

/// Parses the reply to `info registers -a`: one entry per `CPU#n` block
/// that named a PC.
pub fn parse_registers(lines: &[String]) -> Vec<CpuRegs> {
    let mut out: Vec<CpuRegs> = Vec::new();
    let mut cur: Option<CpuRegs> = None;
    for line in lines {
        let t = line.trim();
        if let Some(n) = t.strip_prefix("CPU#").and_then(|n| n.parse().ok()) {
            out.extend(cur.take().filter(|c| c.pc != 0));
            cur = Some(CpuRegs {
                cpu: n,
                ..CpuRegs::default()
            });
            continue;
        }
        let Some(c) = cur.as_mut() else { continue };
        if let Some(v) = field(t, "PC") {
            c.pc = v;
        }
        if let Some(v) = field(t, "X29") {
            c.fp = v;
        }
        if let Some(v) = field(t, "X30") {
            c.lr = v;
        }
        if let Some(v) = field(t, "SP") {
            c.sp = v;
        }
        if let Some(v) = field(t, "PSTATE") {
            c.pstate = v;
        }
    }
    out.extend(cur.filter(|c| c.pc != 0));
    out
}

/// Parses the reply to `x /2gx ADDR`: `ADDR: 0xWORD0 0xWORD1` (the line may
/// carry the monitor's prompt and echo in front).
pub fn parse_frame(lines: &[String], addr: u64) -> Option<(u64, u64)> {
    let key = format!("{addr:016x}:");
    lines.iter().find_map(|l| {
        let i = l.find(&key)?;
        let mut words = l[i + key.len()..]
            .split_whitespace()
            .filter_map(|w| u64::from_str_radix(w.strip_prefix("0x")?, 16).ok());
        Some((words.next()?, words.next()?))
    })
}

/// Is `a` a plausible kernel frame address (upper half, 16-byte aligned)?
pub fn kernel_frame(a: u64) -> bool {
    a >= 0xffff_ff80_0000_0000 && a.is_multiple_of(16)
}

/// The kallsyms blob inside a raw kernel image: the first copy of the magic
/// that parses as a non-empty table (the magic also sits in the kernel's
/// read-only data, as the constant it checks against).
pub fn find_kallsyms(image: &[u8]) -> Option<Kallsyms<'_>> {
    let magic = b"PIKSYMS1";
    let mut from = 0;
    while let Some(i) = image[from..].windows(magic.len()).position(|w| w == magic) {
        let at = from + i;
        if let Some(k) = Kallsyms::new(&image[at..]).filter(|k| !k.is_empty()) {
            return Some(k);
        }
        from = at + 1;
    }
    None
}

/// `name+0xoff/0xsize`, or the bare address.
pub fn symbolize(syms: Option<&Kallsyms>, addr: u64) -> String {
    match syms.and_then(|s| s.lookup(addr)) {
        Some((name, off, size)) => format!("{addr:#018x} {name}+{off:#x}/{size:#x}"),
        None => format!("{addr:#018x}"),
    }
}

/// One vCPU's report: where it is, with IRQs masked or not, and the
/// frames above it (return addresses, innermost first).
pub fn describe(c: &CpuRegs, frames: &[u64], syms: Option<&Kallsyms>) -> Vec<String> {
    let mut out = vec![format!(
        "CPU#{} {}, IRQs {}: pc {}",
        c.cpu,
        c.mode(),
        if c.irqs_masked() { "masked" } else { "on" },
        symbolize(syms, c.pc)
    )];
    if c.mode() != "EL0t" {
        out.push(format!("  lr {}", symbolize(syms, c.lr)));
        for f in frames {
            out.push(format!("  <- {}", symbolize(syms, *f)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(String::from).collect()
    }

    #[test]
    fn registers_of_every_cpu_are_parsed() {
        let reply = lines(
            "(qemu) info registers -a\n\nCPU#0\n PC=ffffff80000ad1b4 X00=0000000000000000 X01=1\n\
             X29=ffffff800048bd10 X30=ffffff80000ad19c  SP=ffffff800048bcf0\n\
             PSTATE=200003c5 --C- NS EL1h     FPCR=00000000 FPSR=00000000\n\
             Q00=0000000000000000:0000000000000000\n\nCPU#1\n PC=0000000000400123 X00=5\n\
             X29=0000000000000000 X30=0000000000400100  SP=0000fffffffff000\n\
             PSTATE=80000000 N--- NS EL0t\n",
        );
        let cpus = parse_registers(&reply);
        assert_eq!(cpus.len(), 2);
        assert_eq!(cpus[0].cpu, 0);
        assert_eq!(cpus[0].pc, 0xffffff80000ad1b4);
        assert_eq!(cpus[0].fp, 0xffffff800048bd10);
        assert_eq!(cpus[0].lr, 0xffffff80000ad19c);
        assert_eq!(cpus[0].sp, 0xffffff800048bcf0);
        assert!(cpus[0].irqs_masked());
        assert_eq!(cpus[0].mode(), "EL1h");
        assert_eq!(cpus[1].mode(), "EL0t");
        assert!(!cpus[1].irqs_masked());
    }

    #[test]
    fn a_reply_without_registers_gives_nothing() {
        assert!(parse_registers(&lines("(qemu) unknown command\n")).is_empty());
    }

    #[test]
    fn frame_record_is_read_from_the_memory_dump() {
        let reply = lines(
            "(qemu) x /2gx 0xffffff800048bd10\nffffff800048bd10: 0xffffff800048bd50 0xffffff80000ad19c\n",
        );
        assert_eq!(
            parse_frame(&reply, 0xffffff800048bd10),
            Some((0xffffff800048bd50, 0xffffff80000ad19c))
        );
        assert_eq!(parse_frame(&reply, 0xffffff800048bd20), None);
    }

    #[test]
    fn symbols_are_found_in_an_image_and_name_addresses() {
        let mut syms = vec![
            (0xffffff8000080000u64, 0x100u64, "_start".to_string()),
            (0xffffff8000081000, 0x40, "finish_task_switch".to_string()),
        ];
        let blob = libkernel::trace::build_kallsyms(&mut syms);
        // The magic alone (the kernel's constant) comes first in the image.
        let mut image = b"xxPIKSYMS1\0\0\0\0\0\0\0\0yy".to_vec();
        image.extend_from_slice(&blob);
        let k = find_kallsyms(&image).expect("table found");
        assert_eq!(
            symbolize(Some(&k), 0xffffff8000081010),
            "0xffffff8000081010 finish_task_switch+0x10/0x40"
        );
        assert_eq!(symbolize(Some(&k), 0x1234), "0x0000000000001234");
        let c = CpuRegs {
            cpu: 2,
            pc: 0xffffff8000081010,
            lr: 0xffffff8000080004,
            pstate: 0x3c5,
            ..CpuRegs::default()
        };
        let d = describe(&c, &[0xffffff8000080008], Some(&k));
        assert_eq!(
            d,
            vec![
                "CPU#2 EL1h, IRQs masked: pc 0xffffff8000081010 finish_task_switch+0x10/0x40",
                "  lr 0xffffff8000080004 _start+0x4/0x100",
                "  <- 0xffffff8000080008 _start+0x8/0x100",
            ]
        );
    }
}
