package store

// SetAfterInsert installs the test hook run between insert and ack.
func (w *Writer) SetAfterInsert(fn func() error) { w.afterInsert = fn }

// FindServerBinaryIn is FindServerBinary with other fallback paths.
var FindServerBinaryIn = findServerBinary
