package boot

// Guest-physical addresses (see the package doc).
const (
	ZeroPage       = 0x7000
	CmdlineAddr    = 0x2_0000
	CmdlineMax     = 0x1_0000
	EBDAStart      = 0x9_fc00
	ACPIStart      = 0xe_0000
	ACPIEnd        = 0x10_0000
	KernelAddr     = 0x10_0000
	MaxMemory      = 0xc000_0000
	MMIOBase       = 0xd000_0000
	IOAPICAddr     = 0xfec0_0000
	LAPICAddr      = 0xfee0_0000
	IdentityMap    = 0xfffb_c000
	TSSAddr        = 0xfffb_d000
	MinMemory      = 32 << 20
	PM1EventPort   = 0x600 // PM1a status and enable registers (4 bytes)
	PM1ControlPort = 0x604 // PM1a control register (2 bytes)
	PM1SleepEnable = 1 << 13
	ResetPort      = 0xcf9
	MaxCPUs        = 255
	pageSize       = 0x1000
	e820RAM        = 1
	e820Reserved   = 2
	setupHdrStart  = 0x1f1
)
