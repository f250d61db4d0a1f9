//! The initial user stack of a new program, laid out as Linux arm64 does.
//!
//! `execve` leaves the new program's arguments, environment and auxiliary
//! vector on its stack; the C library's `_start` finds them from `sp`
//! alone. This module computes that image (Linux's `create_elf_tables` and
//! the string copying of `fs/exec.c`) as plain bytes plus the addresses
//! they will live at, so the kernel only copies them into the new address
//! space. From the top of the stack down:
//!
//! ```text
//! stack_top  ->  8 zero bytes (Linux's end marker)
//!                execfn string                      (AT_EXECFN)
//!                envp strings, argv strings          (NUL-terminated)
//!                (align down to 16)
//!                platform string, if any            (AT_PLATFORM)
//!                16 random bytes                    (AT_RANDOM)
//!                (padding so that sp is 16-aligned)
//!                AT_NULL, 0
//!                auxv pairs
//!                NULL, envp[envc-1] .. envp[0]
//!                NULL, argv[argc-1] .. argv[0]
//! sp         ->  argc
//! ```
//!
//! Like Linux since 5.18, an empty `argv` becomes `[""]` so `argv[0]` is
//! never NULL. The strings are limited like Linux's `bprm_stack_limits`:
//! their total plus one pointer each must fit [`StackLimits::max_total`],
//! else `E2BIG`.

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use crate::exec::elf::ExecImage;
use crate::uapi::auxv::*;
use crate::uapi::{E2BIG, EFAULT, EINVAL, PAGE_SIZE, USER_HZ};

/// Linux's `MAX_ARG_STRLEN`: the longest single argument or environment
/// string, NUL included.
pub const MAX_ARG_STRLEN: usize = 32 * 4096;

/// The classic `ARG_MAX`: default budget for strings and their pointers.
pub const ARG_MAX: usize = 128 * 1024;

/// How much `execve` may put on the new stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StackLimits {
    /// Bytes of all strings (argv, envp, execfn, NULs included) plus 8
    /// per argv/envp pointer.
    pub max_total: usize,
    /// Bytes of one string, NUL included.
    pub max_string: usize,
    /// Number of argv plus envp strings.
    pub max_strings: usize,
}

impl Default for StackLimits {
    fn default() -> Self {
        StackLimits {
            max_total: ARG_MAX,
            max_string: MAX_ARG_STRLEN,
            max_strings: ARG_MAX / 8,
        }
    }
}

/// What goes on the stack. Strings are given without their NUL.
#[derive(Clone, Copy, Debug)]
pub struct ExecArgs<'a> {
    /// `argv`; an empty one is replaced by `[""]` as Linux does.
    pub argv: &'a [&'a [u8]],
    /// `envp`.
    pub envp: &'a [&'a [u8]],
    /// The path passed to `execve`, for `AT_EXECFN`.
    pub execfn: &'a [u8],
    /// The platform string for `AT_PLATFORM` (Linux arm64: `"aarch64"`),
    /// or none.
    pub platform: Option<&'a [u8]>,
    /// The bytes `AT_RANDOM` points at (glibc's stack-protector canary
    /// and pointer guard come from them).
    pub random: [u8; 16],
    /// Auxiliary vector entries (see [`exec_auxv`]); `AT_RANDOM`,
    /// `AT_EXECFN`, `AT_PLATFORM` and the closing `AT_NULL` are added
    /// here and must not be in it.
    pub auxv: &'a [(u64, u64)],
}

/// The built stack: copy `bytes` to `sp` (its last byte lands at
/// `stack_top - 1`), set `sp`, jump to the entry point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackImage {
    /// Everything from `sp` to `stack_top`.
    pub bytes: Vec<u8>,
    /// Initial stack pointer, 16-byte aligned; `argc` is there.
    pub sp: u64,
    /// Address of `argv[0]`'s pointer (`sp + 8`).
    pub argv_ptr: u64,
    /// Address of `envp[0]`'s pointer.
    pub envp_ptr: u64,
    /// Address of the first auxv pair.
    pub auxv_ptr: u64,
    /// Address of the 16 random bytes.
    pub random_ptr: u64,
    /// Address of the execfn string.
    pub execfn_ptr: u64,
}

/// Why the stack could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StackError {
    /// Strings and pointers exceed [`StackLimits::max_total`] (`E2BIG`).
    TooBig { bytes: usize },
    /// One string exceeds [`StackLimits::max_string`] (`E2BIG`).
    StringTooLong { len: usize },
    /// More strings than [`StackLimits::max_strings`] (`E2BIG`).
    TooManyStrings { count: usize },
    /// A string contains NUL, so C would read a different one (`EINVAL`).
    NulInString,
    /// The caller's auxv has a key this builder adds itself (`EINVAL`).
    ReservedAuxKey(u64),
    /// `stack_top` is too low to hold the image (`EFAULT`).
    BadStackTop,
}

impl StackError {
    /// The errno `execve` fails with.
    pub fn errno(&self) -> i32 {
        match self {
            StackError::TooBig { .. }
            | StackError::StringTooLong { .. }
            | StackError::TooManyStrings { .. } => E2BIG,
            StackError::NulInString | StackError::ReservedAuxKey(_) => EINVAL,
            StackError::BadStackTop => EFAULT,
        }
    }
}

impl fmt::Display for StackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StackError::TooBig { bytes } => {
                write!(f, "arguments and environment take {bytes} bytes")
            }
            StackError::StringTooLong { len } => write!(f, "an argument is {len} bytes long"),
            StackError::TooManyStrings { count } => write!(f, "{count} arguments and variables"),
            StackError::NulInString => f.write_str("an argument contains NUL"),
            StackError::ReservedAuxKey(k) => write!(f, "auxv key {k} is set by the stack builder"),
            StackError::BadStackTop => f.write_str("stack top too low for the initial stack"),
        }
    }
}

/// User ids for the auxiliary vector.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ids {
    pub uid: u32,
    pub euid: u32,
    pub gid: u32,
    pub egid: u32,
}

/// What the auxiliary vector tells besides the program's own image.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuxInfo {
    /// `AT_BASE`: where the program interpreter was loaded (its load
    /// bias), 0 for a program without one.
    pub interp_base: u64,
    /// `AT_SYSINFO_EHDR`: the address of the vDSO's ELF header; the entry
    /// is left out when there is no vDSO (`None`).
    pub sysinfo_ehdr: Option<u64>,
    /// `AT_HWCAP`: the `HWCAP_*` bits of what the CPU has.
    pub hwcap: u64,
    /// `AT_HWCAP2`: the `HWCAP2_*` bits.
    pub hwcap2: u64,
    /// `AT_MINSIGSTKSZ`: the bytes a signal frame needs on a stack (arm64
    /// Linux's `signal_minsigstksz`).
    pub minsigstksz: u64,
    /// `AT_UID` and the rest.
    pub ids: Ids,
    /// `AT_SECURE`: the program gained privileges (set-id).
    pub secure: bool,
}

/// The auxiliary vector Linux arm64 gives a program, in the order of
/// Linux's `create_elf_tables` (arm64's `ARCH_DLINFO` first), without the
/// entries [`build_stack`] adds after them (`AT_RANDOM`, `AT_EXECFN`,
/// `AT_PLATFORM`, `AT_NULL`). `AT_ENTRY` is the program's entry even when
/// an interpreter runs first: the interpreter jumps there when done.
pub fn exec_auxv(image: &ExecImage, info: &AuxInfo) -> Vec<(u64, u64)> {
    let mut v = Vec::with_capacity(17);
    if let Some(ehdr) = info.sysinfo_ehdr {
        v.push((AT_SYSINFO_EHDR, ehdr));
    }
    v.extend([
        (AT_MINSIGSTKSZ, info.minsigstksz),
        (AT_HWCAP, info.hwcap),
        (AT_PAGESZ, PAGE_SIZE),
        (AT_CLKTCK, USER_HZ),
        (AT_PHDR, image.phdr_vaddr),
        (AT_PHENT, image.phentsize.into()),
        (AT_PHNUM, image.phnum.into()),
        (AT_BASE, info.interp_base),
        (AT_FLAGS, 0),
        (AT_ENTRY, image.entry),
        (AT_UID, info.ids.uid.into()),
        (AT_EUID, info.ids.euid.into()),
        (AT_GID, info.ids.gid.into()),
        (AT_EGID, info.ids.egid.into()),
        (AT_SECURE, info.secure.into()),
        (AT_HWCAP2, info.hwcap2),
    ]);
    v
}

/// Builds the initial stack below `stack_top`.
pub fn build_stack(
    stack_top: u64,
    args: &ExecArgs<'_>,
    limits: &StackLimits,
) -> Result<StackImage, StackError> {
    const EMPTY_ARGV: &[&[u8]] = &[b""];
    let argv = if args.argv.is_empty() {
        EMPTY_ARGV
    } else {
        args.argv
    };
    let envp = args.envp;

    // Limits first, as Linux checks them while copying.
    let count = argv.len() + envp.len();
    if count > limits.max_strings {
        return Err(StackError::TooManyStrings { count });
    }
    let mut strings_len = 0usize;
    for s in argv.iter().chain(envp).chain([&args.execfn]) {
        if s.len() + 1 > limits.max_string {
            return Err(StackError::StringTooLong { len: s.len() + 1 });
        }
        if s.contains(&0) {
            return Err(StackError::NulInString);
        }
        strings_len += s.len() + 1;
    }
    let total = strings_len + 8 * count;
    if total > limits.max_total {
        return Err(StackError::TooBig { bytes: total });
    }
    if let Some(platform) = args.platform {
        if platform.contains(&0) {
            return Err(StackError::NulInString);
        }
    }
    for &(key, _) in args.auxv {
        if matches!(key, AT_NULL | AT_RANDOM | AT_EXECFN | AT_PLATFORM) {
            return Err(StackError::ReservedAuxKey(key));
        }
    }

    // Addresses, top down. `down` fails instead of wrapping below 0.
    let bad = StackError::BadStackTop;
    let down = |addr: u64, by: usize| addr.checked_sub(by as u64).ok_or(bad);
    let strings_start = down(down(stack_top, 8)?, strings_len)?;
    let mut p = strings_start & !15;
    let platform_ptr = match args.platform {
        Some(s) => {
            p = down(p, s.len() + 1)?;
            Some(p)
        }
        None => None,
    };
    let random_ptr = down(p, 16)?;
    let aux_words = 2 * (args.auxv.len() + 2 + usize::from(platform_ptr.is_some()) + 1);
    let words = 1 + (argv.len() + 1) + (envp.len() + 1) + aux_words;
    let sp = down(random_ptr, 8 * words)? & !15;
    if sp == 0 {
        return Err(bad);
    }

    let mut img = Image {
        bytes: vec![0; (stack_top - sp) as usize],
        base: sp,
    };
    // Strings: argv, then envp, then execfn, upward from strings_start.
    let mut at = strings_start;
    let mut put_string = |img: &mut Image, s: &[u8]| {
        let addr = at;
        img.put(addr, s);
        at += s.len() as u64 + 1; // the NUL is already there
        addr
    };
    let argv_addrs: Vec<u64> = argv.iter().map(|s| put_string(&mut img, s)).collect();
    let envp_addrs: Vec<u64> = envp.iter().map(|s| put_string(&mut img, s)).collect();
    let execfn_ptr = put_string(&mut img, args.execfn);
    if let (Some(addr), Some(s)) = (platform_ptr, args.platform) {
        img.put(addr, s);
    }
    img.put(random_ptr, &args.random);

    // The vector: argc, argv, NULL, envp, NULL, auxv, AT_NULL.
    let mut w = sp;
    let mut word = |img: &mut Image, v: u64| {
        img.put(w, &v.to_le_bytes());
        w += 8;
    };
    word(&mut img, argv.len() as u64);
    let argv_ptr = sp + 8;
    argv_addrs.iter().for_each(|&a| word(&mut img, a));
    word(&mut img, 0);
    let envp_ptr = argv_ptr + 8 * (argv.len() as u64 + 1);
    envp_addrs.iter().for_each(|&a| word(&mut img, a));
    word(&mut img, 0);
    let auxv_ptr = envp_ptr + 8 * (envp.len() as u64 + 1);
    let mut auxv: Vec<(u64, u64)> = args.auxv.to_vec();
    auxv.push((AT_RANDOM, random_ptr));
    auxv.push((AT_EXECFN, execfn_ptr));
    if let Some(addr) = platform_ptr {
        auxv.push((AT_PLATFORM, addr));
    }
    auxv.push((AT_NULL, 0));
    for (key, value) in auxv {
        word(&mut img, key);
        word(&mut img, value);
    }
    debug_assert!(w <= random_ptr);

    Ok(StackImage {
        bytes: img.bytes,
        sp,
        argv_ptr,
        envp_ptr,
        auxv_ptr,
        random_ptr,
        execfn_ptr,
    })
}

/// The stack bytes, addressed by user virtual address.
struct Image {
    bytes: Vec<u8>,
    base: u64,
}

impl Image {
    fn put(&mut self, addr: u64, data: &[u8]) {
        let at = (addr - self.base) as usize;
        self.bytes[at..at + data.len()].copy_from_slice(data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec::Vec;

    const TOP: u64 = 0x7f_ffff_f000;
    const RANDOM: [u8; 16] = *b"0123456789abcdef";

    /// Reads the image the way a C library's `_start` does.
    struct Reader<'a>(&'a StackImage);

    impl Reader<'_> {
        fn word(&self, addr: u64) -> u64 {
            assert!(addr >= self.0.sp && addr + 8 <= self.0.sp + self.0.bytes.len() as u64);
            let at = (addr - self.0.sp) as usize;
            u64::from_le_bytes(self.0.bytes[at..at + 8].try_into().unwrap())
        }

        fn cstr(&self, addr: u64) -> String {
            let at = (addr - self.0.sp) as usize;
            let end = self.0.bytes[at..].iter().position(|&b| b == 0).unwrap();
            String::from_utf8(self.0.bytes[at..at + end].to_vec()).unwrap()
        }

        /// argv, envp and auxv, found by walking from sp.
        fn decode(&self) -> (Vec<String>, Vec<String>, Vec<(u64, u64)>) {
            let sp = self.0.sp;
            let argc = self.word(sp);
            let mut p = sp + 8;
            let argv = (0..argc).map(|i| self.cstr(self.word(p + 8 * i))).collect();
            p += 8 * argc;
            assert_eq!(self.word(p), 0, "argv ends with NULL");
            p += 8;
            let mut envp = Vec::new();
            while self.word(p) != 0 {
                envp.push(self.cstr(self.word(p)));
                p += 8;
            }
            p += 8;
            let mut auxv = Vec::new();
            loop {
                let (k, v) = (self.word(p), self.word(p + 8));
                auxv.push((k, v));
                p += 16;
                if k == AT_NULL {
                    break;
                }
            }
            (argv, envp, auxv)
        }
    }

    fn args<'a>(argv: &'a [&'a [u8]], envp: &'a [&'a [u8]]) -> ExecArgs<'a> {
        ExecArgs {
            argv,
            envp,
            execfn: b"/bin/prog",
            platform: Some(b"aarch64"),
            random: RANDOM,
            auxv: &[(AT_PAGESZ, 4096), (AT_ENTRY, 0x400100), (AT_PHNUM, 3)],
        }
    }

    fn aux(auxv: &[(u64, u64)], key: u64) -> u64 {
        auxv.iter().find(|(k, _)| *k == key).unwrap().1
    }

    #[test]
    fn layout_decodes_as_a_c_library_reads_it() {
        let a = args(
            &[b"prog", b"-v", b"hello world"],
            &[b"HOME=/", b"TERM=vt100"],
        );
        let img = build_stack(TOP, &a, &StackLimits::default()).unwrap();
        assert_eq!(img.sp % 16, 0);
        assert_eq!(img.sp + img.bytes.len() as u64, TOP);
        let r = Reader(&img);
        let (argv, envp, auxv) = r.decode();
        assert_eq!(argv, ["prog", "-v", "hello world"]);
        assert_eq!(envp, ["HOME=/", "TERM=vt100"]);
        assert_eq!(
            auxv.iter().map(|p| p.0).collect::<Vec<_>>(),
            [
                AT_PAGESZ,
                AT_ENTRY,
                AT_PHNUM,
                AT_RANDOM,
                AT_EXECFN,
                AT_PLATFORM,
                AT_NULL
            ]
        );
        assert_eq!(aux(&auxv, AT_ENTRY), 0x400100);
        assert_eq!(*auxv.last().unwrap(), (AT_NULL, 0));

        // The pointers the struct reports agree with the walk.
        assert_eq!(img.argv_ptr, img.sp + 8);
        assert_eq!(r.cstr(r.word(img.argv_ptr)), "prog");
        assert_eq!(img.envp_ptr, img.argv_ptr + 4 * 8);
        assert_eq!(r.cstr(r.word(img.envp_ptr + 8)), "TERM=vt100");
        assert_eq!(img.auxv_ptr, img.envp_ptr + 3 * 8);
        assert_eq!(r.word(img.auxv_ptr), AT_PAGESZ);

        // AT_RANDOM points at the 16 bytes; AT_EXECFN at the path.
        let random = aux(&auxv, AT_RANDOM);
        assert_eq!(random, img.random_ptr);
        let at = (random - img.sp) as usize;
        assert_eq!(img.bytes[at..at + 16], RANDOM);
        assert_eq!(aux(&auxv, AT_EXECFN), img.execfn_ptr);
        assert_eq!(r.cstr(img.execfn_ptr), "/bin/prog");
        assert_eq!(r.cstr(aux(&auxv, AT_PLATFORM)), "aarch64");

        // Everything referenced lies in [sp, stack_top); the strings sit
        // above the vector and the last 8 bytes are zero.
        for &ptr in [random, img.execfn_ptr].iter() {
            assert!(ptr >= img.auxv_ptr + 7 * 16 && ptr < TOP);
        }
        assert_eq!(&img.bytes[img.bytes.len() - 8..], &[0; 8]);
    }

    #[test]
    fn strings_are_packed_in_linux_order_at_the_top() {
        let a = ExecArgs {
            platform: None,
            ..args(&[b"a", b"bc"], &[b"D=1"])
        };
        let img = build_stack(TOP, &a, &StackLimits::default()).unwrap();
        // "a\0bc\0D=1\0/bin/prog\0" then 8 zero bytes end at TOP.
        let tail: &[u8] = b"a\0bc\0D=1\0/bin/prog\0\0\0\0\0\0\0\0\0";
        assert!(img.bytes.ends_with(tail));
        let r = Reader(&img);
        assert_eq!(r.word(img.argv_ptr), TOP - tail.len() as u64);
        // Without a platform string the random bytes sit just below the
        // 16-aligned string area.
        assert_eq!(img.random_ptr, ((TOP - tail.len() as u64) & !15) - 16);
        let (_, _, auxv) = r.decode();
        assert!(auxv.iter().all(|(k, _)| *k != AT_PLATFORM));
    }

    #[test]
    fn sp_is_aligned_whatever_the_sizes() {
        let strings: [&[u8]; 5] = [b"", b"x", b"yy", b"zzz", b"wwww"];
        for n in 0..strings.len() {
            for m in 0..strings.len() {
                for top in [TOP, TOP - 8, TOP - 3] {
                    let a = args(&strings[..n], &strings[..m]);
                    let img = build_stack(top, &a, &StackLimits::default()).unwrap();
                    assert_eq!(img.sp % 16, 0);
                    assert_eq!(img.sp + img.bytes.len() as u64, top);
                    let (argv, envp, _) = Reader(&img).decode();
                    assert_eq!(envp.len(), m);
                    assert_eq!(argv.len(), n.max(1));
                }
            }
        }
    }

    #[test]
    fn empty_argv_becomes_one_empty_string() {
        let img = build_stack(TOP, &args(&[], &[]), &StackLimits::default()).unwrap();
        let (argv, envp, _) = Reader(&img).decode();
        assert_eq!(argv, [""]);
        assert!(envp.is_empty());
    }

    #[test]
    fn limits_give_e2big() {
        let limits = StackLimits {
            max_total: 64,
            max_string: 16,
            max_strings: 4,
        };
        // "a\0" + "/bin/prog\0" = 12 bytes + 1 pointer: fits.
        assert!(build_stack(TOP, &args(&[b"a"], &[]), &limits).is_ok());
        // 4 strings: 8 + 10 + 4 * 8 = 50 fits; 5 strings are too many.
        assert!(build_stack(TOP, &args(&[b"a", b"b", b"c"], &[b"d"]), &limits).is_ok());
        let e = build_stack(TOP, &args(&[b"a", b"b", b"c"], &[b"d", b"e"]), &limits).unwrap_err();
        assert_eq!(e, StackError::TooManyStrings { count: 5 });
        assert_eq!(e.errno(), E2BIG);
        // A string of 15 bytes + NUL fits, 16 + NUL does not.
        assert!(build_stack(TOP, &args(&[&[b'x'; 15]], &[]), &limits).is_ok());
        let e = build_stack(TOP, &args(&[&[b'x'; 16]], &[]), &limits).unwrap_err();
        assert_eq!(e, StackError::StringTooLong { len: 17 });
        assert_eq!(e.errno(), 7);
        // Total: 15+1 + 15+1 + 15+1 + 10 + 3 * 8 = 82 > 64.
        let long: &[u8] = &[b'x'; 15];
        let e = build_stack(TOP, &args(&[long, long], &[long]), &limits).unwrap_err();
        assert_eq!(e, StackError::TooBig { bytes: 82 });
        assert_eq!(e.errno(), E2BIG);
        // The default limit: 128 KiB of environment is too much.
        let big = vec![b'v'; 64 * 1024];
        let e =
            build_stack(TOP, &args(&[b"p"], &[&big, &big]), &StackLimits::default()).unwrap_err();
        assert_eq!(e.errno(), E2BIG);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let l = StackLimits::default();
        let e = build_stack(TOP, &args(&[b"a\0b"], &[]), &l).unwrap_err();
        assert_eq!((e, e.errno()), (StackError::NulInString, EINVAL));
        for key in [AT_RANDOM, AT_EXECFN, AT_NULL, AT_PLATFORM] {
            let a = ExecArgs {
                auxv: &[(key, 1)],
                ..args(&[b"a"], &[])
            };
            assert_eq!(
                build_stack(TOP, &a, &l),
                Err(StackError::ReservedAuxKey(key))
            );
        }
        for top in [0, 8, 100, 200] {
            let e = build_stack(top, &args(&[b"a"], &[]), &l).unwrap_err();
            assert_eq!((e, e.errno()), (StackError::BadStackTop, EFAULT));
        }
    }

    #[test]
    fn exec_auxv_carries_what_static_libcs_need() {
        use crate::exec::elf::{ExecKind, LoadSegment};
        let image = ExecImage {
            entry: 0x400100,
            kind: ExecKind::Exec,
            load_bias: 0,
            segments: vec![LoadSegment {
                vaddr: 0x400000,
                memsz: 0x1000,
                filesz: 0x1000,
                offset: 0,
                readable: true,
                writable: false,
                executable: true,
                align: 0x1000,
            }],
            phdr_vaddr: 0x400040,
            phnum: 4,
            phentsize: 56,
            stack_executable: false,
            brk_start: 0x401000,
            interp: None,
        };
        let ids = Ids {
            uid: 1,
            euid: 2,
            gid: 3,
            egid: 4,
        };
        let info = AuxInfo {
            hwcap: 0b11,
            minsigstksz: 4224,
            ids,
            ..AuxInfo::default()
        };
        let v = exec_auxv(&image, &info);
        let get = |k| aux(&v, k);
        assert_eq!(get(AT_MINSIGSTKSZ), 4224);
        assert!(
            v.iter().all(|&(k, _)| k != AT_SYSINFO_EHDR),
            "no vDSO, no entry"
        );
        assert_eq!(get(AT_PHDR), 0x400040);
        assert_eq!(get(AT_PHENT), 56);
        assert_eq!(get(AT_PHNUM), 4);
        assert_eq!(get(AT_PAGESZ), 4096);
        assert_eq!(get(AT_ENTRY), 0x400100);
        assert_eq!(
            (get(AT_UID), get(AT_EUID), get(AT_GID), get(AT_EGID)),
            (1, 2, 3, 4)
        );
        assert_eq!(get(AT_HWCAP), 3);
        assert_eq!(get(AT_CLKTCK), 100);
        assert_eq!(get(AT_BASE), 0);
        // And it is accepted by the builder, which completes it.
        let a = ExecArgs {
            auxv: &v,
            ..args(&[b"a"], &[])
        };
        let img = build_stack(TOP, &a, &StackLimits::default()).unwrap();
        let (_, _, auxv) = Reader(&img).decode();
        assert_eq!(auxv.len(), v.len() + 4);
    }

    #[test]
    fn exec_auxv_is_in_linux_order_with_interpreter_and_vdso() {
        let image = ExecImage {
            entry: 0x10_0000_0500,
            kind: crate::exec::elf::ExecKind::Dyn,
            load_bias: 0x10_0000_0000,
            segments: vec![],
            phdr_vaddr: 0x10_0000_0040,
            phnum: 9,
            phentsize: 56,
            stack_executable: false,
            brk_start: 0x10_0002_0000,
            interp: Some(vec![b'/']),
        };
        let info = AuxInfo {
            interp_base: 0x40_0000_0000,
            sysinfo_ehdr: Some(0x7f_ffff_e000),
            secure: true,
            ..AuxInfo::default()
        };
        let v = exec_auxv(&image, &info);
        let keys: Vec<u64> = v.iter().map(|&(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                AT_SYSINFO_EHDR,
                AT_MINSIGSTKSZ,
                AT_HWCAP,
                AT_PAGESZ,
                AT_CLKTCK,
                AT_PHDR,
                AT_PHENT,
                AT_PHNUM,
                AT_BASE,
                AT_FLAGS,
                AT_ENTRY,
                AT_UID,
                AT_EUID,
                AT_GID,
                AT_EGID,
                AT_SECURE,
                AT_HWCAP2
            ]
        );
        assert_eq!(aux(&v, AT_SYSINFO_EHDR), 0x7f_ffff_e000);
        assert_eq!(aux(&v, AT_BASE), 0x40_0000_0000);
        assert_eq!(
            aux(&v, AT_ENTRY),
            0x10_0000_0500,
            "the program's, not ld.so's"
        );
        assert_eq!(aux(&v, AT_SECURE), 1);
    }
}
