# SPDX-License-Identifier: MIT
"""Disks: ringos's virtio-blk/virtio-rng drivers and ext2 against ringvisor's
devices and against QEMU's (q35, modern-only virtio-pci): images made by
mkfs.ext2 -d are read and written by tests/progs/disk_rw, then checked on the
host with e2fsck and debugfs; read-only disks, fsync surviving a SIGKILL of
the VMM, corrupt images, virtio-rng."""
import os
import shutil
import signal
import subprocess
import time

import pytest

from conftest import BUILD, KVM_REASON, needs_qemu, run

PROG = str(BUILD / "progs" / "disk_rw")
needs_e2fs = pytest.mark.skipif(shutil.which("mkfs.ext2") is None or shutil.which("debugfs") is None,
                                reason="e2fsprogs (mkfs.ext2, e2fsck, debugfs) is not installed")
pytestmark = needs_e2fs


def pattern(n):
    # Same as pat() in tests/progs/disk_rw.c.
    return bytes(ord("a") + (i * 7 + i // 1000) % 26 for i in range(n))


def make_image(tmp_path, block_size, name="disk.img", size="16M"):
    src = tmp_path / "src"
    if not src.exists():
        (src / "sub" / "dir").mkdir(parents=True)
        (src / "hello.txt").write_text("hello world\n")
        (src / "sub" / "dir" / "deep.txt").write_text("deep\n")
        (src / "big.bin").write_bytes(pattern(300000))
    img = tmp_path / name
    subprocess.run(["mkfs.ext2", "-q", "-F", "-b", str(block_size), "-d", str(src), str(img), size],
                   check=True, capture_output=True)
    return img


def initrd(tmp_path, *args, prog=PROG):
    out = tmp_path / "init.cpio"
    name = "/bin/" + os.path.basename(prog)
    subprocess.run([str(BUILD / "tools" / "mkinitrd"), str(out), "--add", f"{prog}:{name}",
                    "--", name, *args], check=True)
    return out


def qemu_cmd(tmp_path, disks, args, accel="tcg", rng=True, prog=PROG):
    cmd = ["qemu-system-x86_64", "-M", "q35", "-accel", accel, "-m", "256M", "-nodefaults",
           "-no-user-config", "-nographic", "-no-reboot", "-serial", "stdio",
           "-kernel", str(BUILD / "ringos.elf"),
           "-initrd", str(initrd(tmp_path, *args, prog=prog)),
           "-append", "init=/bin/" + os.path.basename(prog),
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    for i, (img, ro) in enumerate(disks):
        cmd += ["-drive", f"file={img},if=none,id=d{i},format=raw" + (",readonly=on" if ro else ""),
                "-device", f"virtio-blk-pci,drive=d{i},disable-legacy=on"]
    if rng:
        cmd += ["-device", "virtio-rng-pci,disable-legacy=on"]
    return cmd


def qemu(tmp_path, disks, args, accel="tcg", rng=True, prog=PROG):
    r = run(qemu_cmd(tmp_path, disks, args, accel, rng, prog), timeout=120)
    # isa-debug-exit: ringos status s becomes (s << 1) | 1.
    r.status = r.returncode >> 1 if r.returncode & 1 else None
    return r


def fsck_clean(img):
    r = run(["e2fsck", "-fn", str(img)])
    assert r.returncode == 0, r.stdout + r.stderr


def debugfs(img, request):
    return run(["debugfs", "-R", request, str(img)]).stdout


def names(img, path="/"):
    out = debugfs(img, f"ls -p {path}")
    # ls -p lines: /ino/mode/uid/gid/name/size/; inode 0 is an unused slot
    # (a removed first entry of a block keeps its name, as Linux leaves it).
    return {f[5] for f in (line.split("/") for line in out.splitlines())
            if len(f) >= 7 and f[1] != "0"} - {".", ".."}



def ringvisor_has_disk():
    exe = BUILD / "ringvisor"
    if not exe.exists():
        return False
    r = subprocess.run([str(exe), "exec", "--help"], capture_output=True, text=True)
    return "--disk" in r.stdout + r.stderr


def rv_cmd(disks, args, rng=True, vmm="ringvisor", prog=PROG):
    cmd = [str(BUILD / vmm), "exec"]
    for img, ro in disks:
        cmd += ["--disk", f"{img},ro" if ro is True else f"{img}{ro or ''}"]
    if rng:
        cmd += ["--rng"]
    return cmd + [prog, *args]


needs_rv_disk = pytest.mark.skipif(KVM_REASON is not None or not ringvisor_has_disk(),
                                   reason=KVM_REASON or "ringvisor exec has no --disk")

# Every test runs against ringvisor's devices (also under the ASan+UBSan
# build) and against QEMU's; QEMU with TCG: under kvm_pvm its SeaBIOS runs
# emulated for seconds (test_qemu_kvm_read covers that path once).
VMMS = [pytest.param("ringvisor", marks=needs_rv_disk),
        pytest.param("asan/ringvisor", marks=needs_rv_disk),
        pytest.param("qemu", marks=needs_qemu)]


def vm_cmd(vmm, tmp_path, disks, args, rng=True):
    if vmm == "qemu":
        return qemu_cmd(tmp_path, disks, args, rng=rng)
    return rv_cmd(disks, args, rng, vmm)


def vm(vmm, tmp_path, disks, args, rng=True, prog=PROG):
    if vmm == "qemu":
        return qemu(tmp_path, disks, args, rng=rng, prog=prog)
    r = run(rv_cmd(disks, args, rng, vmm, prog), timeout=60)
    r.status = r.returncode
    return r


@pytest.mark.parametrize("vmm", VMMS)
@pytest.mark.parametrize("block_size", [1024, 4096])
def test_read(tmp_path, vmm, block_size):
    img = make_image(tmp_path, block_size)
    r = vm(vmm, tmp_path, [(img, False)], ["read", "vda"])
    assert r.status == 0 and "SUCCESS" in r.stdout, r.stdout + r.stderr
    fsck_clean(img)


# tests/progs/disk_direct's file: past the double-indirect block at 1 and 4 KiB blocks.
DIRECT_SIZE = 5 * 2**20 + 1234
DIRTY_OFF, DIRTY_LEN = 2 * 2**20 + 100, 9000  # what disk_direct changes, through the cache


@pytest.mark.parametrize("vmm", VMMS)
@pytest.mark.parametrize("block_size", [1024, 4096])
def test_direct_read(tmp_path, vmm, block_size):
    """Large reads that the device writes straight into the program's pages:
    content, alignment, blocks cached or dirty in the cache, demand-zero and
    copy-on-write buffers, holes, and buffers with an unmapped or read-only page."""
    src = tmp_path / "direct"
    src.mkdir()
    (src / "direct.bin").write_bytes(pattern(DIRECT_SIZE))
    img = tmp_path / "direct.img"
    subprocess.run(["mkfs.ext2", "-q", "-F", "-b", str(block_size), "-d", str(src), str(img), "32M"],
                   check=True, capture_output=True)
    r = vm(vmm, tmp_path, [(img, False)], ["vda"], prog=str(BUILD / "progs" / "disk_direct"))
    assert r.status == 0 and "SUCCESS" in r.stdout, r.stdout + r.stderr
    fsck_clean(img)
    assert names(img) == {"lost+found", "direct.bin"}
    out = tmp_path / "direct.out"
    run(["debugfs", "-R", f"dump /direct.bin {out}", str(img)])
    want = bytearray(pattern(DIRECT_SIZE))
    want[DIRTY_OFF:DIRTY_OFF + DIRTY_LEN] = b"Z" * DIRTY_LEN
    assert out.read_bytes() == bytes(want)


@needs_qemu
@pytest.mark.skipif(KVM_REASON is not None, reason=KVM_REASON or "")
def test_qemu_kvm_read(tmp_path):
    """kvm_pvm under QEMU: SeaBIOS runs emulated (several seconds), then ringos natively."""
    img = make_image(tmp_path, 4096)
    r = qemu(tmp_path, [(img, False)], ["read", "vda"], accel="kvm")
    assert r.status == 0 and "SUCCESS" in r.stdout, r.stdout + r.stderr


@pytest.mark.parametrize("vmm", VMMS)
@pytest.mark.parametrize("block_size", [1024, 4096])
def test_write(tmp_path, vmm, block_size):
    img = make_image(tmp_path, block_size)
    r = vm(vmm, tmp_path, [(img, False)], ["write", "vda"])
    assert r.status == 0 and "SUCCESS" in r.stdout, r.stdout + r.stderr
    fsck_clean(img)
    assert names(img) == {"lost+found", "big.bin", "big2.bin", "hello.txt", "sub", "newdir"}
    assert names(img, "/sub") == {"dir", "moved.txt", "inner2"}
    assert names(img, "/sub/dir") == set()
    assert names(img, "/sub/inner2") == {"f.txt"}
    assert names(img, "/newdir") == {f"file-with-a-longish-name-{i:03d}" for i in range(1, 120, 2)}
    assert debugfs(img, "cat /hello.txt") == "HELLO world\nagain\n"
    assert debugfs(img, "cat /sub/moved.txt") == "deep\n"
    assert debugfs(img, "cat /sub/inner2/f.txt") == "inner\n"
    assert debugfs(img, "cat /newdir/file-with-a-longish-name-007") == "newdir/file-with-a-longish-name-007"
    out = tmp_path / "big2.out"
    run(["debugfs", "-R", f"dump /big2.bin {out}", str(img)])
    assert out.read_bytes() == pattern(400000)
    run(["debugfs", "-R", f"dump /big.bin {out}", str(img)])
    assert out.read_bytes() == pattern(3000)


@pytest.mark.parametrize("vmm", VMMS)
def test_two_disks_and_readonly(tmp_path, vmm):
    rw = make_image(tmp_path, 4096, "rw.img")
    ro = make_image(tmp_path, 1024, "ro.img")
    before = ro.read_bytes()
    r = vm(vmm, tmp_path, [(rw, False), (ro, True)], ["ro", "vdb"])
    assert r.status == 0 and "SUCCESS" in r.stdout, r.stdout + r.stderr
    if vmm == "qemu":  # ringvisor exec boots quiet: no mount messages
        assert "(read-only)" in r.stdout
    assert ro.read_bytes() == before


@needs_rv_disk
def test_disk_named_by_id(tmp_path):
    """--disk PATH,id=NAME mounts at /mnt/NAME."""
    img = make_image(tmp_path, 4096)
    r = vm("ringvisor", tmp_path, [(img, ",ro,id=data")], ["ro", "data"])
    assert r.status == 0 and "SUCCESS" in r.stdout, r.stdout + r.stderr


@pytest.mark.parametrize("vmm", VMMS)
def test_rng(tmp_path, vmm):
    r = vm(vmm, tmp_path, [], ["rng", "-"])
    assert r.status == 0 and "SUCCESS" in r.stdout, r.stdout + r.stderr


@pytest.mark.parametrize("vmm", VMMS)
def test_fsync_then_kill(tmp_path, vmm):
    """What fsync returned for survives the VMM being killed at once."""
    img = make_image(tmp_path, 4096)
    p = subprocess.Popen(vm_cmd(vmm, tmp_path, [(img, False)], ["fsync", "vda"]), text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    out = ""
    deadline = time.time() + 60
    try:
        while "SYNCED" not in out and time.time() < deadline:
            line = p.stdout.readline()
            if not line:
                break
            out += line
        p.send_signal(signal.SIGKILL)
    finally:
        p.kill()
        p.wait()
    assert "SYNCED" in out, out
    fsck_clean(img)
    dump = tmp_path / "synced.out"
    run(["debugfs", "-R", f"dump /synced.bin {dump}", str(img)])
    assert dump.read_bytes() == pattern(200000)


def corrupt(img, block_size, what):
    data = bytearray(img.read_bytes())
    if what == "magic":
        data[1024 + 56] ^= 0xff
    elif what == "geometry":
        data[1024 + 32:1024 + 36] = (0xffffffff).to_bytes(4, "little")  # blocks per group
    elif what == "incompat":
        data[1024 + 96] |= 0x40  # extents: not ext2
    elif what == "group-desc":
        gdt = (2 if block_size == 1024 else 1) * block_size
        data[gdt + 8:gdt + 12] = (0x7ffffff0).to_bytes(4, "little")  # inode table
    elif what == "root-inode":
        out = debugfs(img, "imap <2>")
        blk = int(out.split("located at block ")[1].split(",")[0])
        off = int(out.split("offset ")[1].split()[0], 16)
        base = blk * block_size + off
        data[base + 40:base + 100] = b"\xff" * 60  # every block pointer
    elif what == "dirent":
        out = debugfs(img, "blocks /sub")
        blk = int(out.split()[0])
        data[blk * block_size + 4:blk * block_size + 6] = (3).to_bytes(2, "little")  # rec_len
    elif what == "file-blocks":
        out = debugfs(img, "imap /big.bin")
        blk = int(out.split("located at block ")[1].split(",")[0])
        off = int(out.split("offset ")[1].split()[0], 16)
        base = blk * block_size + off
        data[base + 40 + 4 * 12:base + 40 + 4 * 13] = (0xfffffff0).to_bytes(4, "little")
    img.write_bytes(bytes(data))



@pytest.mark.parametrize("vmm", VMMS)
@pytest.mark.parametrize("what", ["magic", "geometry", "incompat", "group-desc", "root-inode",
                                  "dirent", "file-blocks"])
def test_corrupt_image(tmp_path, vmm, what):
    """A corrupt image gives mount errors or EIO/EUCLEAN; ringos and the program carry on."""
    block_size = 1024
    img = make_image(tmp_path, block_size)
    corrupt(img, block_size, what)
    r = vm(vmm, tmp_path, [(img, False)], ["corrupt", "vda"])
    assert r.status == 0 and "SUCCESS" in r.stdout, r.stdout + r.stderr
    assert "panic" not in r.stdout


# Each rule ringos's test=vqbad breaks (ringos/kernel/vqbad.c, in its order)
# and the reason ringvisor's device side gives (vmm/dev/virtio/queue.c, blk.c).
CRAFTED_RINGS = [
    ("buffer outside RAM", "buffer lies outside guest RAM"),
    ("buffer address + length overflows", "buffer lies outside guest RAM"),
    ("next beyond the table", "descriptor chain points beyond its table"),
    ("chain loops", "descriptor chain longer than the queue size"),
    ("chain longer than the queue", "descriptor chain longer than the queue size"),
    ("indirect without the feature", "indirect descriptor, but VIRTIO_F_INDIRECT_DESC is off"),
    ("indirect inside indirect", "indirect descriptor inside an indirect table"),
    ("indirect with NEXT", "indirect descriptor with NEXT set"),
    ("indirect length not 16 x n", "indirect table length is not 16 x 1..queue size"),
    ("indirect table outside RAM", "indirect table outside guest RAM or misaligned"),
    ("readable after writable", "device-readable buffer after a device-writable one"),
    ("readable buffers over 4 GiB", "device-readable buffers add up to more than 4 GiB"),
    ("avail idx ahead by more than the size", "available index moved ahead by more than the queue size"),
    ("avail head beyond the queue", "available ring names a descriptor beyond the queue size"),
    ("request without status byte", "virtio-blk request without header or status byte"),
    ("request without header", "virtio-blk request without header or status byte"),
    ("used ring outside RAM", "ring lies outside guest RAM"),
    ("descriptor table misaligned", "ring address not aligned"),
    ("queue size not a power of 2", "queue size is not a power of 2"),
]


@pytest.mark.parametrize("vmm", [pytest.param("ringvisor", marks=needs_rv_disk),
                                 pytest.param("asan/ringvisor", marks=needs_rv_disk)])
def test_crafted_rings(tmp_path, vmm):
    """A crafted ring for each validation rule puts the device in NEEDS_RESET
    (one guest-error line each: -vv lifts the rate limit), the host survives,
    and after a reset a good read works again."""
    img = make_image(tmp_path, 4096)
    r = run([str(BUILD / vmm), "run", "-vv", "--disk", str(img), "--cmdline", "test=vqbad"],
            timeout=60)
    out = r.stdout + r.stderr
    assert r.returncode == 0 and "SUCCESS" in r.stdout, out
    for rule, _ in CRAFTED_RINGS:
        assert any(line.startswith("vqbad: " + rule) and "needs reset, good read after reset ok" in line
                   for line in r.stdout.splitlines()), rule + "\n" + out
    errors = [line for line in r.stderr.splitlines() if "guest error: vda: queue 0: " in line]
    assert len(errors) == len(CRAFTED_RINGS), out
    for line, (rule, why) in zip(errors, CRAFTED_RINGS):
        assert why in line and line.endswith("the device needs a reset"), f"{rule}: {line}"
    assert "ERROR: AddressSanitizer" not in r.stderr and "runtime error" not in r.stderr, out
