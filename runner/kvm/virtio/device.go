package virtio

// Device types and feature bits shared by devices (virtio 1.x §5, §6).
const (
	DeviceBlock = 2

	FeatureIndirectDesc = 1 << 28
	FeatureVersion1     = 1 << 32
)

// Device is what a virtio device implements; the transport handles
// feature negotiation, queues and interrupts around it.
type Device interface {
	// Type is the virtio device ID.
	Type() uint32
	// Features is what the device offers.
	Features() uint64
	// Queues is how many virtqueues the device has.
	Queues() int
	// Config is the device-specific configuration space.
	Config() []byte
	// Process handles one chain from queue q and says how many bytes it
	// wrote into the chain's writable buffers. An error means the device
	// cannot go on (NEEDS_RESET); a request the device refuses is not an
	// error but a status in the chain.
	Process(q int, c Chain) (written uint32, err error)
}

// Interrupter raises a guest interrupt line (an edge: the transport keeps
// its own interrupt status for the driver to read).
type Interrupter interface {
	Interrupt(line uint32) error
}
