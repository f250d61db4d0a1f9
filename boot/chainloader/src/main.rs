//! pikern's chainloader: flashed once as `kernel8.img`, it waits on the
//! console UART for a kernel sent by `make chainboot` (tools/src/bin/
//! chainboot.rs), checks its size and CRC-32, puts it at 0x80000 and starts
//! it exactly as the firmware would have (x0 = the DTB). Students then try
//! a new kernel without moving the SD card.
//!
//! It runs with the MMU and data cache off, on core 0 only, polling the
//! UART: every access is a volatile 8- or 32-bit one at its natural
//! alignment, since with the MMU off all data memory is Device memory,
//! where unaligned accesses fault. The board recipes (pins, UART clock)
//! and the protocol come from libkernel, built without its heap parts.

#![no_std]
#![no_main]

use core::arch::{asm, global_asm};
use core::ptr::{read_volatile, write_volatile};
use libkernel::bsp::bcm::{self, RegisterIo, Soc};
use libkernel::bsp::chainload::{self, Header, HeaderError, LOAD_ADDR, MAGIC};

global_asm!(include_str!("../start.S"));

extern "C" {
    fn jump_to_kernel(entry: usize, dtb: usize) -> !;
}

/// Where a DTB in the way of the incoming kernel is moved: just above the
/// chainloader's own megabyte.
const DTB_SAFE: usize = 0x210_0000;
const FDT_MAGIC: u32 = 0xd00d_feed;
const BAUD: u32 = 115_200;

// PL011 registers.
const DR: usize = 0x00;
const FR: usize = 0x18;
const IBRD: usize = 0x24;
const FBRD: usize = 0x28;
const LCRH: usize = 0x2c;
const CR: usize = 0x30;
const ICR: usize = 0x44;
const FR_TXFF: u32 = 1 << 5;
const FR_RXFE: u32 = 1 << 4;
const FR_BUSY: u32 = 1 << 3;

/// Physical addresses are the addresses: the MMU is off.
struct Phys;

impl RegisterIo for Phys {
    fn read(&self, pa: usize) -> u32 {
        // SAFETY: `pa` is a peripheral register of this SoC (bcm.rs).
        unsafe { read_volatile(pa as *const u32) }
    }
    fn write(&self, pa: usize, value: u32) {
        // SAFETY: as in `read`.
        unsafe { write_volatile(pa as *mut u32, value) }
    }
    fn delay(&self, cycles: u32) {
        for _ in 0..cycles {
            core::hint::spin_loop();
        }
    }
}

/// The console UART, polled.
struct Uart {
    base: usize,
}

impl Uart {
    fn init(&self, clock_hz: u32) {
        let (ibrd, fbrd) = bcm::pl011_divisors(clock_hz, BAUD);
        Phys.write(self.base + CR, 0);
        Phys.write(self.base + ICR, 0x7ff);
        Phys.write(self.base + IBRD, ibrd);
        Phys.write(self.base + FBRD, fbrd);
        // 8 bits, FIFOs on: the host sends faster than a byte at a time.
        Phys.write(self.base + LCRH, (3 << 5) | (1 << 4));
        Phys.write(self.base + CR, (1 << 9) | (1 << 8) | 1);
    }

    fn putc(&self, c: u8) {
        while Phys.read(self.base + FR) & FR_TXFF != 0 {}
        Phys.write(self.base + DR, c as u32);
    }

    fn puts(&self, s: &str) {
        for b in s.bytes() {
            if b == b'\n' {
                self.putc(b'\r');
            }
            self.putc(b);
        }
    }

    fn put_dec(&self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for &d in &digits[i..] {
            self.putc(d);
        }
    }

    fn put_hex(&self, n: u64) {
        self.puts("0x");
        let mut started = false;
        for shift in (0..16).rev() {
            let d = ((n >> (shift * 4)) & 0xf) as u8;
            if d != 0 || started || shift == 0 {
                started = true;
                self.putc(if d < 10 { b'0' + d } else { b'a' + d - 10 });
            }
        }
    }

    fn try_getc(&self) -> Option<u8> {
        (Phys.read(self.base + FR) & FR_RXFE == 0).then(|| Phys.read(self.base + DR) as u8)
    }

    /// The next byte, or None if none comes before counter value `deadline`.
    fn getc_until(&self, deadline: u64) -> Option<u8> {
        // An empty FIFO is polled every ~10 µs, not back to back: a byte
        // takes 87 µs at 115200 baud, and under QEMU each register read
        // takes the lock the serial backend needs to deliver the next ones.
        let pause = counter_hz() / 100_000;
        loop {
            if let Some(c) = self.try_getc() {
                return Some(c);
            }
            let now = counter();
            if now >= deadline {
                return None;
            }
            while counter() < now + pause {}
        }
    }

    fn flush(&self) {
        while Phys.read(self.base + FR) & FR_BUSY != 0 {}
    }
}

fn counter() -> u64 {
    let v: u64;
    // SAFETY: reads the generic counter, available at every EL here.
    unsafe { asm!("isb", "mrs {}, cntpct_el0", out(reg) v, options(nostack)) };
    v
}

/// Counter ticks per second, as the firmware programmed it (19.2 MHz on a
/// Pi 3, 54 MHz on a Pi 4, 62.5 MHz under QEMU): read, never assumed.
fn counter_hz() -> u64 {
    let v: u64;
    // SAFETY: reads CNTFRQ_EL0.
    unsafe { asm!("mrs {}, cntfrq_el0", out(reg) v, options(nomem, nostack)) };
    v.max(1)
}

fn soc() -> Soc {
    let midr: u64;
    // SAFETY: reads MIDR_EL1.
    unsafe { asm!("mrs {}, midr_el1", out(reg) midr, options(nomem, nostack)) };
    if (midr >> 4) & 0xfff == 0xd08 {
        bcm::BCM2711
    } else {
        bcm::BCM2837
    }
}

/// The UART clock from the firmware (or config.txt's value, assumed).
fn uart_clock(soc: Soc) -> u32 {
    // On the stack, which lies in RAM below 1 GiB as the VideoCore needs.
    #[repr(C, align(16))]
    struct Buf([u32; 8]);
    let mut buf = Buf([0; 8]);
    bcm::clock_rate_request(&mut buf.0, bcm::CLOCK_UART);
    let bus = soc.bus_address(buf.0.as_ptr() as usize);
    let answered = bcm::mbox_call(&Phys, soc, bus, bcm::MBOX_CH_PROP, 1_000_000);
    let mut reply = [0u32; 8];
    for (i, w) in reply.iter_mut().enumerate() {
        // SAFETY: our buffer, written by the firmware behind the compiler.
        *w = unsafe { read_volatile(buf.0.as_ptr().add(i)) };
    }
    bcm::clock_rate_response(&reply, bcm::CLOCK_UART)
        .filter(|_| answered)
        .unwrap_or(bcm::DEFAULT_UART_CLOCK)
}

fn read_be32(addr: usize) -> u32 {
    let mut v = 0;
    for i in 0..4 {
        // SAFETY: a byte of the DTB header the firmware handed us.
        v = (v << 8) | unsafe { read_volatile((addr + i) as *const u8) } as u32;
    }
    v
}

/// Moves the DTB out of the way of the kernel (which will fill memory from
/// 0x80000) and of the chainloader; returns its address, or 0 if x0 did not
/// point at one.
fn keep_dtb_safe(uart: &Uart, dtb: usize) -> usize {
    if dtb == 0 || !dtb.is_multiple_of(8) || read_be32(dtb) != FDT_MAGIC {
        uart.puts("chainload: no DTB from the firmware\n");
        return 0;
    }
    let size = read_be32(dtb + 4) as usize;
    if dtb >= DTB_SAFE {
        return dtb;
    }
    // The ranges may overlap with the destination above: copy backwards.
    for i in (0..size).rev() {
        // SAFETY: both ranges are RAM: the firmware's DTB, and the free
        // space above the chainloader.
        unsafe {
            write_volatile(
                (DTB_SAFE + i) as *mut u8,
                read_volatile((dtb + i) as *const u8),
            )
        };
    }
    uart.puts("chainload: moved the DTB from ");
    uart.put_hex(dtb as u64);
    uart.puts(" to ");
    uart.put_hex(DTB_SAFE as u64);
    uart.puts("\n");
    DTB_SAFE
}

/// Waits for a header, re-announcing READY every second while the line is
/// quiet so a host that connects late still sees it.
fn receive_header(uart: &Uart) -> Result<Header, HeaderError> {
    let second = counter_hz();
    uart.puts(chainload::READY);
    uart.puts("\n");
    let mut matched = 0;
    loop {
        match uart.getc_until(counter() + second) {
            None if matched == 0 => {
                uart.puts(chainload::READY);
                uart.puts("\n");
            }
            None => return Err(HeaderError::Garbled),
            Some(c) if c == MAGIC[matched] => {
                matched += 1;
                if matched == MAGIC.len() {
                    break;
                }
            }
            Some(c) => matched = usize::from(c == MAGIC[0]),
        }
    }
    let mut raw = [0u8; 16];
    raw[..4].copy_from_slice(&MAGIC);
    for b in raw[4..].iter_mut() {
        *b = uart
            .getc_until(counter() + second)
            .ok_or(HeaderError::Garbled)?;
    }
    Header::decode(&raw)
}

/// Receives `h.size` bytes to LOAD_ADDR; the CRC-32 of what arrived, or
/// the count received if the line went quiet for two seconds.
fn receive_image(uart: &Uart, h: &Header) -> Result<u32, u32> {
    let quiet = 2 * counter_hz();
    let mut crc = !0u32;
    for i in 0..h.size as usize {
        let b = uart.getc_until(counter() + quiet).ok_or(i as u32)?;
        crc = chainload::crc32_byte(crc, b);
        // SAFETY: [LOAD_ADDR, LOAD_ADDR + MAX_IMAGE) is free RAM below the
        // chainloader (Header::decode bounds the size).
        unsafe { write_volatile((LOAD_ADDR + i) as *mut u8, b) };
    }
    Ok(!crc)
}

fn refuse(uart: &Uart, why: &str) {
    uart.puts(chainload::REFUSED);
    uart.puts(": ");
    uart.puts(why);
}

/// Called by start.S on core 0 with the firmware's x0.
#[no_mangle]
extern "C" fn chainloader_main(dtb: usize) -> ! {
    let soc = soc();
    bcm::route_uart0_pins(&Phys, soc);
    let clock = uart_clock(soc);
    let uart = Uart { base: soc.uart0() };
    uart.init(clock);
    uart.puts("\npikern chainloader on ");
    uart.puts(if soc.bcm2711 {
        "BCM2711 (Pi 4)"
    } else {
        "BCM2837 (Pi 3)"
    });
    uart.puts(", UART clock ");
    uart.put_dec(clock as u64);
    uart.puts(" Hz, counter ");
    uart.put_dec(counter_hz());
    uart.puts(" Hz\n");
    let dtb = keep_dtb_safe(&uart, dtb);
    loop {
        let h = match receive_header(&uart) {
            Ok(h) => h,
            Err(e) => {
                refuse(&uart, e.reason());
                uart.puts("\n");
                continue;
            }
        };
        uart.puts(chainload::ACCEPTED);
        uart.puts(" ");
        uart.put_dec(h.size as u64);
        uart.puts(" bytes\n");
        match receive_image(&uart, &h) {
            Err(got) => {
                refuse(&uart, "timed out after ");
                uart.put_dec(got as u64);
                uart.puts(" of ");
                uart.put_dec(h.size as u64);
                uart.puts(" bytes\n");
            }
            Ok(crc) if crc != h.crc => {
                refuse(&uart, "image checksum mismatch (header says ");
                uart.put_hex(h.crc as u64);
                uart.puts(", received ");
                uart.put_hex(crc as u64);
                uart.puts(")\n");
            }
            Ok(_) => {
                uart.puts(chainload::BOOTING);
                uart.puts("\n");
                uart.flush();
                // SAFETY: a complete kernel image, checked, at the address
                // the firmware would have loaded it; nothing of ours is
                // needed after the jump.
                unsafe { jump_to_kernel(LOAD_ADDR, dtb) }
            }
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    let uart = Uart {
        base: soc().uart0(),
    };
    uart.puts("chainload: internal error, halted\n");
    loop {
        // SAFETY: waits for an event; nothing else runs here.
        unsafe { asm!("wfe", options(nomem, nostack)) };
    }
}
