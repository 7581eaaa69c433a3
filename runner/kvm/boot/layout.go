package boot

// Guest-physical addresses (see the package doc).
const (
	ZeroPage      = 0x7000
	CmdlineAddr   = 0x2_0000
	CmdlineMax    = 0x1_0000
	EBDAStart     = 0x9_fc00
	ACPIStart     = 0xe_0000
	ACPIEnd       = 0x10_0000
	KernelAddr    = 0x10_0000
	MaxMemory     = 0xc000_0000
	MMIOBase      = 0xd000_0000
	IOAPICAddr    = 0xfec0_0000
	LAPICAddr     = 0xfee0_0000
	IdentityMap   = 0xfffb_c000
	TSSAddr       = 0xfffb_d000
	MinMemory     = 32 << 20
	SleepPort     = 0x600
	SleepEnable   = 0x20 // SLP_EN in the hardware-reduced sleep control register
	MaxCPUs       = 255
	pageSize      = 0x1000
	e820RAM       = 1
	e820Reserved  = 2
	setupHdrStart = 0x1f1
)
