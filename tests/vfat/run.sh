# vfat on pikern, run by busybox's sh (tools/vfat-test.sh boots it): a FAT16
# image made by mkfs.vfat/mtools on the host is copied to the brd RAM disk
# /dev/ram0 and mounted as vfat; each check prints a KTAP line. At the end
# the disk goes back to the host (gzip | base64 on the console) for
# fsck.vfat and mtools to read what the kernel wrote.
n=0
t() { # got want description
    n=$((n + 1))
    if [ "$1" = "$2" ]; then
        echo "ok $n - $3"
    else
        echo "not ok $n - $3"
        echo "# got:  $1" | head -5
        echo "# want: $2" | head -5
    fi
}
M=/mnt
mkdir -p $M
dd if=/vfat/fat16.img of=/dev/ram0 bs=4096 2>/dev/null
t "$(mount -t vfat /dev/ram0 $M 2>&1; echo $?)" 0 "mount -t vfat /dev/ram0"
t "$(grep ' /mnt ' /proc/mounts)" \
  "/dev/ram0 /mnt vfat rw,relatime,fmask=0022,dmask=0022,codepage=437,iocharset=ascii,shortname=mixed,errors=remount-ro 0 0" \
  "/proc/mounts line as Linux's"
t "$(stat -f -c '%t %n' $M)" "4d44 /mnt" "statfs: f_type MSDOS_SUPER_MAGIC"
t "$(ls $M/bin | tr '\n' ' ')" "hello raspbian_fork " "long names mtools wrote"
t "$(stat -c '%a %s' $M/bin/raspbian_fork)" "755 $(cat /vfat/fork.size)" "mode 0755 (fmask=0022), size"
t "$($M/bin/hello | head -1 | cut -c1-22)" "Hello from user space!" "exec of an ELF on the volume"
t "$(cat $M/README.TXT)" "hello from the card" "read"
t "$(head -c 4 $M/bin/hello | od -An -c | tr -d ' ')" '177ELF' "read of a program's bytes"
echo appended >> $M/README.TXT
t "$(cat $M/README.TXT | tail -1)" appended "append"
mkdir $M/trace
seq 1 3000 > $M/trace/raspbian_fork.svg
t "$(wc -c < $M/trace/raspbian_fork.svg)" 13893 "create and write a long name in a new directory"
echo "renamed" > $M/new.txt
mv $M/new.txt "$M/trace/Long Name.txt"
t "$(cat "$M/trace/Long Name.txt")" renamed "rename across directories to a long name"
t "$(ls $M/new.txt 2>&1 >/dev/null | cut -d: -f3)" " No such file or directory" "old name gone"
echo x > $M/gone; rm $M/gone
t "$(ls $M)" "$(printf 'README.TXT\nbin\ntrace')" "unlink"
mkdir $M/empty; rmdir $M/empty
t "$(rmdir $M/trace 2>&1)" "rmdir: '$M/trace': Directory not empty" "rmdir of a non-empty directory: ENOTEMPTY"
echo 0123456789 > $M/trunc; truncate -s 4 $M/trunc 2>/dev/null || : > /dev/null
t "$(cat $M/trunc)" 0123 "truncate"
t "$(/vfat/mmapw $M/mapped.bin)" "mmap ok" "mmap of a file on the volume: MAP_SHARED stores kept, MAP_PRIVATE ones not"
ln -s x $M/sym 2>/dev/null; t "$?" 1 "symlink refused (vfat has none)"
t "$(cd $M && umount $M 2>&1)" "umount: can't unmount $M: Device or resource busy" "umount with a cwd inside: EBUSY"
sync
t "$(umount $M; echo $?)" 0 "umount"
mount -t vfat -o ro /dev/ram0 $M
t "$(cat $M/trace/raspbian_fork.svg | tail -1) $(cat $M/trunc)" "3000 0123" "data read back after umount and mount"
t "$(touch $M/x 2>&1)" "touch: $M/x: Read-only file system" "ro mount: EROFS"
t "$(grep -c ' /mnt vfat ro,' /proc/mounts)" 1 "ro in /proc/mounts"
umount $M
# A full volume: ENOSPC from write, earlier files intact.
dd if=/vfat/small.img of=/dev/ram1 bs=4096 2>/dev/null
mount -t vfat /dev/ram1 $M
echo keep > $M/keep
t "$(dd if=/dev/zero of=$M/big bs=4096 count=1000 2>&1 | head -1)" \
  "dd: error writing '$M/big': No space left on device" "full volume: ENOSPC"
t "$(df $M | tail -1 | awk '{print $4}')" 0 "statfs: no free blocks"
rm $M/big
t "$(cat $M/keep) $(df $M | tail -1 | awk '{print ($4 > 0)}')" "keep 1" "earlier file intact, space back"
umount $M
# Bad input: the kernel says why, mount fails, nothing else happens.
dd if=/vfat/bad.img of=/dev/ram1 bs=4096 2>/dev/null
t "$(mount -t vfat /dev/ram1 $M 2>&1)" "mount: mounting /dev/ram1 on $M failed: Invalid argument" "bogus boot sector: EINVAL"
dd if=/vfat/loops.img of=/dev/ram1 bs=4096 2>/dev/null
mount -t vfat /dev/ram1 $M
ls -R $M > /dev/null 2>&1; cat $M/bin/* $M/README.TXT > /dev/null 2>&1
echo more >> $M/bin/hello 2>/dev/null; mkdir $M/new 2>/dev/null; sync
t "$(umount $M 2>&1; echo survived)" survived "chains that loop: the walk ends, the kernel goes on"
t "$(mount -t vfat /dev/ram9 $M 2>&1)" "mount: mounting /dev/ram9 on $M failed: No such file or directory" "no such device"
t "$(mount -t vfat -o nosuchopt /dev/ram0 $M 2>&1)" "mount: mounting /dev/ram0 on $M failed: Invalid argument" "unknown option"
sync
echo "# vfat: done"
echo "-----BEGIN FAT IMAGE-----"
dd if=/dev/ram0 bs=65536 2>/dev/null | gzip -c | base64
echo "-----END FAT IMAGE-----"
