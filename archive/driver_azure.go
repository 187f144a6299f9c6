//go:build !archive_noazure

package archive

// azblob://, Azure Blob Storage. The driver adds some 5 MB to galaxyd (3 MB stripped);
// build with -tags archive_noazure to leave it out.
import _ "gocloud.dev/blob/azureblob"

func init() { drivers["azblob"] = true }
