//! Builds the minimal device tree blob that QEMU's raspi machines need.
//!
//! QEMU only writes `/memory` `reg`, `/chosen` `bootargs` (from `-append`)
//! and `/chosen` `linux,initrd-start`/`-end` (from `-initrd`) into a DTB it
//! was given with `-dtb`; without one the kernel gets neither its command
//! line nor its initramfs. So we hand it a tiny tree with just the nodes it
//! fills in, plus the root `compatible`/`model` the kernel uses to tell the
//! boards apart. The real firmware passes a full DTB instead, so nothing
//! here is needed on hardware.

use crate::board::Board;

/// What goes into the root node and `/memory@0` for one board.
struct BoardTree {
    compatible: [&'static str; 2],
    model: &'static str,
    /// `#address-cells` of the root: 2 on the BCM2711, whose bus reaches
    /// above 4 GiB, 1 on the BCM2837.
    address_cells: u32,
    /// RAM size QEMU emulates; QEMU overwrites `reg` anyway, but a correct
    /// value keeps the blob truthful if someone boots it without QEMU's fixup.
    memory_size: u32,
}

fn tree_for(board: Board) -> BoardTree {
    match board {
        Board::Rpi3 => BoardTree {
            compatible: ["raspberrypi,3-model-b", "brcm,bcm2837"],
            model: "Raspberry Pi 3 Model B",
            address_cells: 1,
            memory_size: 1 << 30,
        },
        Board::Rpi4 => BoardTree {
            compatible: ["raspberrypi,4-model-b", "brcm,bcm2711"],
            model: "Raspberry Pi 4 Model B",
            address_cells: 2,
            memory_size: 1 << 31,
        },
    }
}

/// Returns the flattened device tree for `board`.
pub fn build_dtb(board: Board) -> Result<Vec<u8>, String> {
    build(tree_for(board)).map_err(|e| format!("building the {board} DTB: {e}"))
}

fn build(tree: BoardTree) -> Result<Vec<u8>, vm_fdt::Error> {
    let mut fdt = vm_fdt::FdtWriter::new()?;
    let root = fdt.begin_node("")?;
    fdt.property_u32("#address-cells", tree.address_cells)?;
    fdt.property_u32("#size-cells", 1)?;
    fdt.property_string_list(
        "compatible",
        tree.compatible.iter().map(|s| s.to_string()).collect(),
    )?;
    fdt.property_string("model", tree.model)?;

    // Empty on purpose: QEMU adds bootargs and the initrd range here.
    let chosen = fdt.begin_node("chosen")?;
    fdt.end_node(chosen)?;

    let memory = fdt.begin_node("memory@0")?;
    fdt.property_string("device_type", "memory")?;
    // Base 0 in `address_cells` cells, then the size in one cell.
    let mut reg = vec![0u32; tree.address_cells as usize];
    reg.push(tree.memory_size);
    fdt.property_array_u32("reg", &reg)?;
    fdt.end_node(memory)?;

    fdt.end_node(root)?;
    fdt.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(blob: &[u8]) -> fdt::Fdt<'_> {
        fdt::Fdt::new(blob).expect("the blob parses as an FDT")
    }

    #[test]
    fn blob_starts_with_fdt_magic() {
        for board in [Board::Rpi3, Board::Rpi4] {
            let blob = build_dtb(board).unwrap();
            assert_eq!(&blob[..4], &0xd00d_feedu32.to_be_bytes(), "{board}");
        }
    }

    #[test]
    fn rpi3_root_names_the_bcm2837_with_one_address_cell() {
        let blob = build_dtb(Board::Rpi3).unwrap();
        let tree = parse(&blob);
        let root = tree.root();
        let compatible: Vec<&str> = root.compatible().all().collect();
        assert_eq!(compatible, ["raspberrypi,3-model-b", "brcm,bcm2837"]);
        assert_eq!(root.model(), "Raspberry Pi 3 Model B");
        let cells = root.cell_sizes();
        assert_eq!((cells.address_cells, cells.size_cells), (1, 1));
    }

    #[test]
    fn rpi4_root_names_the_bcm2711_with_two_address_cells() {
        let blob = build_dtb(Board::Rpi4).unwrap();
        let tree = parse(&blob);
        let root = tree.root();
        let compatible: Vec<&str> = root.compatible().all().collect();
        assert_eq!(compatible, ["raspberrypi,4-model-b", "brcm,bcm2711"]);
        assert_eq!(root.model(), "Raspberry Pi 4 Model B");
        let cells = root.cell_sizes();
        assert_eq!((cells.address_cells, cells.size_cells), (2, 1));
    }

    #[test]
    fn memory_nodes_cover_the_boards_ram() {
        for (board, size) in [(Board::Rpi3, 1usize << 30), (Board::Rpi4, 1 << 31)] {
            let blob = build_dtb(board).unwrap();
            let tree = parse(&blob);
            let memory = tree.find_node("/memory@0").expect("/memory@0 exists");
            let device_type = memory.property("device_type").and_then(|p| p.as_str());
            assert_eq!(device_type, Some("memory"), "{board}");
            let mut regions: Vec<(usize, usize)> = tree
                .all_nodes()
                .filter(|n| n.name.starts_with("memory@"))
                .flat_map(|n| n.reg().expect("reg").collect::<Vec<_>>())
                .map(|r| (r.starting_address as usize, r.size.unwrap_or(0)))
                .collect();
            regions.sort();
            assert_eq!(regions[0].0, 0, "{board}");
            // Contiguous from 0, adding up to the board's RAM.
            let mut end = 0;
            for (start, len) in &regions {
                assert_eq!(*start, end, "{board}: gap before {start:#x}");
                end = start + len;
            }
            assert_eq!(end, size, "{board}");
        }
    }

    #[test]
    fn chosen_node_exists_and_is_empty_for_qemu_to_fill() {
        let blob = build_dtb(Board::Rpi4).unwrap();
        let tree = parse(&blob);
        let chosen = tree.find_node("/chosen").expect("/chosen exists");
        assert_eq!(chosen.properties().count(), 0);
        assert_eq!(chosen.children().count(), 0);
    }
}
