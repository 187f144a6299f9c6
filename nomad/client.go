package nomad

import (
	consul "github.com/hashicorp/consul/api"
	"github.com/hashicorp/nomad/api"
)

// The driver talks to Nomad and Consul only through these interfaces, each shaped
// like the api calls it makes (the *api.Jobs, *api.HostVolumes... handles satisfy them
// as they are), so a test can swap any of them for a fake.

type jobsAPI interface {
	Info(jobID string, q *api.QueryOptions) (*api.Job, *api.QueryMeta, error)
	EnforceRegister(job *api.Job, modifyIndex uint64, q *api.WriteOptions) (*api.JobRegisterResponse, *api.WriteMeta, error)
	Deregister(jobID string, purge bool, q *api.WriteOptions) (string, *api.WriteMeta, error)
	Allocations(jobID string, allAllocs bool, q *api.QueryOptions) ([]*api.AllocationListStub, *api.QueryMeta, error)
	Evaluations(jobID string, q *api.QueryOptions) ([]*api.Evaluation, *api.QueryMeta, error)
	ListOptions(opts *api.JobListOptions, q *api.QueryOptions) ([]*api.JobListStub, *api.QueryMeta, error)
	Revert(jobID string, version uint64, enforcePriorVersion *uint64, q *api.WriteOptions, consulToken, vaultToken string) (*api.JobRegisterResponse, *api.WriteMeta, error)
	ForceEvaluate(jobID string, q *api.WriteOptions) (string, *api.WriteMeta, error)
}

// nodesAPI reads a node's fingerprint (its host volumes) and status, lists the nodes
// (a blocking query, for the drainer) and starts drains.
type nodesAPI interface {
	Info(nodeID string, q *api.QueryOptions) (*api.Node, *api.QueryMeta, error)
	List(q *api.QueryOptions) ([]*api.NodeListStub, *api.QueryMeta, error)
	UpdateDrainOpts(nodeID string, opts *api.DrainOptions, q *api.WriteOptions) (*api.NodeDrainUpdateResponse, error)
}

// allocationsAPI lists allocations across jobs (a filter picks the games').
type allocationsAPI interface {
	List(q *api.QueryOptions) ([]*api.AllocationListStub, *api.QueryMeta, error)
	Info(allocID string, q *api.QueryOptions) (*api.Allocation, *api.QueryMeta, error)
}

type evaluationsAPI interface {
	Info(evalID string, q *api.QueryOptions) (*api.Evaluation, *api.QueryMeta, error)
}

type volumesAPI interface {
	Create(req *api.HostVolumeCreateRequest, opts *api.WriteOptions) (*api.HostVolumeCreateResponse, *api.WriteMeta, error)
	Get(id string, opts *api.QueryOptions) (*api.HostVolume, *api.QueryMeta, error)
	List(req *api.HostVolumeListRequest, opts *api.QueryOptions) ([]*api.HostVolumeStub, *api.QueryMeta, error)
	Delete(req *api.HostVolumeDeleteRequest, opts *api.WriteOptions) (*api.HostVolumeDeleteResponse, *api.WriteMeta, error)
}

// servicesAPI is Nomad's native service discovery.
type servicesAPI interface {
	Get(serviceName string, q *api.QueryOptions) ([]*api.ServiceRegistration, *api.QueryMeta, error)
}

// checksAPI reads Nomad-native check results, which the service list does not carry.
type checksAPI interface {
	Checks(allocID string, q *api.QueryOptions) (api.AllocCheckStatuses, error)
}

// rawAPI is used for /v1/jobs/parse, whose typed helper takes no context.
type rawAPI interface {
	Write(endpoint string, in, out any, q *api.WriteOptions) (*api.WriteMeta, error)
}

type consulHealthAPI interface {
	Service(service, tag string, passingOnly bool, q *consul.QueryOptions) ([]*consul.ServiceEntry, *consul.QueryMeta, error)
}
