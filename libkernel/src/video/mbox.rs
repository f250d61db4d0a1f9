//! The VideoCore firmware's property messages for a framebuffer (Linux's
//! `include/soc/bcm2835/raspberrypi-firmware.h` tags, as
//! `drivers/video/fbdev/bcm2708_fb.c` and the firmware's
//! `FRAMEBUFFER_ALLOCATE` use them): building the request and reading the
//! answer, the mailbox itself is the kernel's (`bsp/mailbox.rs`).

/// A request buffer (`RPI_FIRMWARE_STATUS_REQUEST`).
pub const RPI_FIRMWARE_STATUS_REQUEST: u32 = 0;
/// The firmware's answer: all tags handled.
pub const RPI_FIRMWARE_STATUS_SUCCESS: u32 = 0x8000_0000;
/// The end tag.
pub const RPI_FIRMWARE_PROPERTY_END: u32 = 0;
/// Bit 31 of a tag's length word: the firmware answered it.
pub const RPI_FIRMWARE_TAG_RESPONSE: u32 = 0x8000_0000;

/// Allocate the buffer: in alignment, out bus address and size.
pub const RPI_FIRMWARE_FRAMEBUFFER_ALLOCATE: u32 = 0x0004_0001;
/// Bytes per line.
pub const RPI_FIRMWARE_FRAMEBUFFER_GET_PITCH: u32 = 0x0004_0008;
/// The display's size (what the firmware found on HDMI).
pub const RPI_FIRMWARE_FRAMEBUFFER_GET_PHYSICAL_WIDTH_HEIGHT: u32 = 0x0004_0003;
/// Set the display's size.
pub const RPI_FIRMWARE_FRAMEBUFFER_SET_PHYSICAL_WIDTH_HEIGHT: u32 = 0x0004_8003;
/// Set the buffer's size.
pub const RPI_FIRMWARE_FRAMEBUFFER_SET_VIRTUAL_WIDTH_HEIGHT: u32 = 0x0004_8004;
/// Set bits per pixel.
pub const RPI_FIRMWARE_FRAMEBUFFER_SET_DEPTH: u32 = 0x0004_8005;
/// Set the pixel order: 0 BGR, 1 RGB.
pub const RPI_FIRMWARE_FRAMEBUFFER_SET_PIXEL_ORDER: u32 = 0x0004_8006;
/// Set the displayed window's offset in the buffer.
pub const RPI_FIRMWARE_FRAMEBUFFER_SET_VIRTUAL_OFFSET: u32 = 0x0004_8009;

/// `SET_PIXEL_ORDER`'s "BGR": blue in the lowest byte, so a pixel is the
/// little-endian word 0x00RRGGBB (DRM's XRGB8888), the colours' format here.
pub const PIXEL_ORDER_BGR: u32 = 0;

/// Words in a framebuffer-allocation message.
pub const FB_MSG_WORDS: usize = 36;

/// The framebuffer the firmware gave (Linux's `fb_fix_screeninfo` and
/// `fb_var_screeninfo`, the parts a console needs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FbGeometry {
    /// Visible width in pixels (`xres`).
    pub width: u32,
    /// Visible height in pixels (`yres`).
    pub height: u32,
    /// Bits per pixel.
    pub depth: u32,
    /// Bytes per line (`line_length`).
    pub pitch: u32,
    /// The buffer's VideoCore bus address (`smem_start` before
    /// translation).
    pub bus_addr: u32,
    /// Its size in bytes (`smem_len`).
    pub size: u32,
    /// The firmware insisted on "RGB" order (red in the lowest byte):
    /// colours then show with red and blue swapped.
    pub rgb: bool,
}

// Word offsets of the tags' values in the request below.
const PHYS: usize = 5;
const VIRT: usize = 10;
const OFFSET: usize = 15;
const DEPTH: usize = 20;
const ORDER: usize = 24;
const ALLOC: usize = 28;
const PITCH: usize = 33;

/// Fills `buf` with one message that sets the size (`width` x `height`,
/// the buffer the same size), 32 bits per pixel, no offset,
/// BGR order (XRGB words), then allocates and asks for the pitch.
pub fn fb_alloc_request(buf: &mut [u32; FB_MSG_WORDS], width: u32, height: u32) {
    let msg: [u32; FB_MSG_WORDS] = [
        (FB_MSG_WORDS * 4) as u32,
        RPI_FIRMWARE_STATUS_REQUEST,
        RPI_FIRMWARE_FRAMEBUFFER_SET_PHYSICAL_WIDTH_HEIGHT,
        8,
        0,
        width,
        height,
        RPI_FIRMWARE_FRAMEBUFFER_SET_VIRTUAL_WIDTH_HEIGHT,
        8,
        0,
        width,
        height,
        RPI_FIRMWARE_FRAMEBUFFER_SET_VIRTUAL_OFFSET,
        8,
        0,
        0,
        0,
        RPI_FIRMWARE_FRAMEBUFFER_SET_DEPTH,
        4,
        0,
        32,
        RPI_FIRMWARE_FRAMEBUFFER_SET_PIXEL_ORDER,
        4,
        0,
        PIXEL_ORDER_BGR,
        RPI_FIRMWARE_FRAMEBUFFER_ALLOCATE,
        8,
        0,
        4096,
        0,
        RPI_FIRMWARE_FRAMEBUFFER_GET_PITCH,
        4,
        0,
        0,
        RPI_FIRMWARE_PROPERTY_END,
        0,
    ];
    *buf = msg;
}

/// Why the firmware's answer is no usable framebuffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FbError {
    /// The message as a whole was not answered.
    NoAnswer,
    /// A tag came back unanswered (no display, unsupported request).
    TagFailed(u32),
    /// An answer we cannot draw on (not 32 bpp, a zero size, a buffer
    /// smaller than pitch x height).
    Unusable,
}

/// Reads the answer to [`fb_alloc_request`].
pub fn fb_alloc_response(buf: &[u32; FB_MSG_WORDS]) -> Result<FbGeometry, FbError> {
    if buf[1] != RPI_FIRMWARE_STATUS_SUCCESS {
        return Err(FbError::NoAnswer);
    }
    for tag_at in [2usize, 7, 12, 17, 21, 25, 30] {
        if buf[tag_at + 2] & RPI_FIRMWARE_TAG_RESPONSE == 0 {
            return Err(FbError::TagFailed(buf[tag_at]));
        }
    }
    let g = FbGeometry {
        width: buf[PHYS],
        height: buf[PHYS + 1],
        depth: buf[DEPTH],
        pitch: buf[PITCH],
        bus_addr: buf[ALLOC],
        size: buf[ALLOC + 1],
        rgb: buf[ORDER] != PIXEL_ORDER_BGR,
    };
    let _ = (VIRT, OFFSET);
    let fits = (g.pitch as u64) * (g.height as u64) <= g.size as u64;
    if g.depth != 32
        || g.width == 0
        || g.height == 0
        || g.bus_addr == 0
        || g.pitch < g.width * 4
        || !fits
    {
        return Err(FbError::Unusable);
    }
    Ok(g)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What QEMU's bcm2835_property answers, for 1024x768 at 32 bpp.
    fn answered(width: u32, height: u32) -> [u32; FB_MSG_WORDS] {
        let mut b = [0; FB_MSG_WORDS];
        fb_alloc_request(&mut b, width, height);
        b[1] = RPI_FIRMWARE_STATUS_SUCCESS;
        for tag_at in [2usize, 7, 12, 17, 21, 25, 30] {
            b[tag_at + 2] = RPI_FIRMWARE_TAG_RESPONSE | b[tag_at + 1];
        }
        b[ALLOC] = 0xc000_0000 | 0x3c10_0000;
        b[ALLOC + 1] = width * height * 4;
        b[PITCH] = width * 4;
        b
    }

    #[test]
    fn request_layout_is_linux_tags() {
        let mut b = [0; FB_MSG_WORDS];
        fb_alloc_request(&mut b, 1024, 768);
        assert_eq!(b[0] as usize, FB_MSG_WORDS * 4);
        assert_eq!(b[2], RPI_FIRMWARE_FRAMEBUFFER_SET_PHYSICAL_WIDTH_HEIGHT);
        assert_eq!((b[PHYS], b[PHYS + 1]), (1024, 768));
        assert_eq!((b[VIRT], b[VIRT + 1]), (1024, 768));
        assert_eq!(b[OFFSET - 3], RPI_FIRMWARE_FRAMEBUFFER_SET_VIRTUAL_OFFSET);
        assert_eq!(b[DEPTH], 32);
        assert_eq!(b[ALLOC - 3], RPI_FIRMWARE_FRAMEBUFFER_ALLOCATE);
        assert_eq!(b[PITCH - 3], RPI_FIRMWARE_FRAMEBUFFER_GET_PITCH);
        assert_eq!(b[FB_MSG_WORDS - 2], RPI_FIRMWARE_PROPERTY_END);
    }

    #[test]
    fn answers_good_and_bad() {
        let g = fb_alloc_response(&answered(1024, 768)).unwrap();
        assert_eq!((g.width, g.height, g.depth, g.pitch), (1024, 768, 32, 4096));
        assert!(!g.rgb);
        let mut b = answered(1024, 768);
        b[1] = 0x8000_0001;
        assert_eq!(fb_alloc_response(&b), Err(FbError::NoAnswer));
        let mut b = answered(1024, 768);
        b[27] = 8;
        assert_eq!(
            fb_alloc_response(&b),
            Err(FbError::TagFailed(RPI_FIRMWARE_FRAMEBUFFER_ALLOCATE))
        );
        let mut b = answered(1024, 768);
        b[DEPTH] = 16;
        assert_eq!(fb_alloc_response(&b), Err(FbError::Unusable));
        let mut b = answered(1024, 768);
        b[ALLOC + 1] = 4096;
        assert_eq!(fb_alloc_response(&b), Err(FbError::Unusable));
    }
}
