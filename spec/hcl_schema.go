package spec

import "github.com/hashicorp/hcl/v2"

// The HCL schema. Body.Content rejects anything not listed here with a
// located "Unsupported argument/block type" diagnostic (and a suggestion).

var fileSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "pod", LabelNames: []string{"name"}},
	},
}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "default"}, {Name: "type"}, {Name: "description"}},
}

var podSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "hostname"}, {Name: "cpus"}, {Name: "memory"}, {Name: "restart"}},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "kernel"},
		{Type: "network"},
		{Type: "container", LabelNames: []string{"name"}},
		{Type: "volume", LabelNames: []string{"name"}},
		{Type: "file", LabelNames: []string{"path"}},
		{Type: "port"},
	},
}

var kernelSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "cmdline"}, {Name: "path"}, {Name: "image"}},
}

var networkSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "address"}, {Name: "gateway"}, {Name: "dns"}},
}

var containerSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "image", Required: true},
		{Name: "platform"},
		{Name: "entrypoint"},
		{Name: "command"},
		{Name: "env"},
		{Name: "workdir"},
		{Name: "user"},
		{Name: "restart"},
		{Name: "stop_signal"},
		{Name: "stop_timeout"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "mount"}, {Type: "ulimit", LabelNames: []string{"name"}}},
}

var ulimitSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "soft"}, {Name: "hard"}},
}

var mountSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "volume", Required: true},
		{Name: "path", Required: true},
		{Name: "read_only"},
	},
}

var volumeSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "type"}, {Name: "size"}, {Name: "seed"}, {Name: "read_only"}},
}

var portSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "host", Required: true},
		{Name: "guest", Required: true},
		{Name: "protocol"},
		{Name: "address"},
	},
}

var filePodSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "container"},
		{Name: "content", Required: true},
		{Name: "mode"},
		{Name: "owner"},
	},
}
