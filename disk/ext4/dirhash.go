package ext4

import "math/bits"

// dirHash is ext4's half-MD4 directory hash (DX_HASH_HALF_MD4 with signed
// chars, as the superblock's signed-hash flag says), returning the major
// hash used by the index and the minor hash used to order equal majors.
func dirHash(name string, seed *[4]uint32) (major, minor uint32) {
	buf := [4]uint32{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476}
	if *seed != [4]uint32{} {
		buf = *seed
	}
	var in [8]uint32
	for p := name; ; p = p[32:] {
		str2hashbuf(p, &in)
		halfMD4(&buf, &in)
		if len(p) <= 32 {
			break
		}
	}
	major = buf[1] &^ 1
	if major == 0x7fffffff<<1 {
		major = (0x7fffffff - 1) << 1
	}
	return major, buf[2]
}

// str2hashbuf packs up to 32 bytes of msg into in, padded with the length.
func str2hashbuf(msg string, in *[8]uint32) {
	pad := uint32(len(msg)) | uint32(len(msg))<<8
	pad |= pad << 16
	val := pad
	n := min(len(msg), 32)
	num := 8
	k := 0
	for i := 0; i < n; i++ {
		val = uint32(int32(int8(msg[i]))) + val<<8
		if i%4 == 3 {
			in[k] = val
			k++
			val = pad
			num--
		}
	}
	if num--; num >= 0 {
		in[k] = val
		k++
	}
	for ; num > 0; num-- {
		in[k] = pad
		k++
	}
}

func halfMD4(buf *[4]uint32, in *[8]uint32) {
	const k2, k3 = 0x5A827999, 0x6ED9EBA1
	f := func(x, y, z uint32) uint32 { return z ^ (x & (y ^ z)) }
	g := func(x, y, z uint32) uint32 { return (x & y) + ((x ^ y) & z) }
	h := func(x, y, z uint32) uint32 { return x ^ y ^ z }
	a, b, c, d := buf[0], buf[1], buf[2], buf[3]
	r := func(fn func(x, y, z uint32) uint32, a *uint32, b, c, d, x uint32, s int) {
		*a = bits.RotateLeft32(*a+fn(b, c, d)+x, s)
	}
	r(f, &a, b, c, d, in[0], 3)
	r(f, &d, a, b, c, in[1], 7)
	r(f, &c, d, a, b, in[2], 11)
	r(f, &b, c, d, a, in[3], 19)
	r(f, &a, b, c, d, in[4], 3)
	r(f, &d, a, b, c, in[5], 7)
	r(f, &c, d, a, b, in[6], 11)
	r(f, &b, c, d, a, in[7], 19)

	r(g, &a, b, c, d, in[1]+k2, 3)
	r(g, &d, a, b, c, in[3]+k2, 5)
	r(g, &c, d, a, b, in[5]+k2, 9)
	r(g, &b, c, d, a, in[7]+k2, 13)
	r(g, &a, b, c, d, in[0]+k2, 3)
	r(g, &d, a, b, c, in[2]+k2, 5)
	r(g, &c, d, a, b, in[4]+k2, 9)
	r(g, &b, c, d, a, in[6]+k2, 13)

	r(h, &a, b, c, d, in[3]+k3, 3)
	r(h, &d, a, b, c, in[7]+k3, 9)
	r(h, &c, d, a, b, in[2]+k3, 11)
	r(h, &b, c, d, a, in[6]+k3, 15)
	r(h, &a, b, c, d, in[1]+k3, 3)
	r(h, &d, a, b, c, in[5]+k3, 9)
	r(h, &c, d, a, b, in[0]+k3, 11)
	r(h, &b, c, d, a, in[4]+k3, 15)

	buf[0] += a
	buf[1] += b
	buf[2] += c
	buf[3] += d
}
