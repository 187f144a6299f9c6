//go:build !archive_nogcs

package archive

// gs://, Google Cloud Storage. The driver adds some 31 MB to galaxyd (21 MB stripped);
// build with -tags archive_nogcs to leave it out.
import _ "gocloud.dev/blob/gcsblob"

func init() { drivers["gs"] = true }
