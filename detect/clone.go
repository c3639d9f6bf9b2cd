package detect

import "reflect"

// clone returns an independent copy of d: stepping the copy leaves d as it
// was. It copies the state field by field (a snapshot round trip through
// JSON costs ten times more), so that fields added to state later are
// copied without a change here.
func (d *Detector) clone() *Detector {
	c := *d
	c.st = deepCopy(reflect.ValueOf(d.st)).Interface().(state)
	c.noiseFs = append([]float64(nil), d.noiseFs...)
	c.rebuildWindows()
	return &c
}

// deepCopy copies v, following slices, maps and pointers. Unexported
// fields are copied as they are (state has none that share memory, and
// time.Time's location is immutable).
func deepCopy(v reflect.Value) reflect.Value {
	t := v.Type()
	if !hasRefs(t) {
		return v
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		p := reflect.New(t.Elem())
		p.Elem().Set(deepCopy(v.Elem()))
		return p
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		s := reflect.MakeSlice(t, v.Len(), v.Len())
		if !hasRefs(t.Elem()) {
			reflect.Copy(s, v)
			return s
		}
		for i := range v.Len() {
			s.Index(i).Set(deepCopy(v.Index(i)))
		}
		return s
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		m := reflect.MakeMapWithSize(t, v.Len())
		it := v.MapRange()
		for it.Next() {
			m.SetMapIndex(it.Key(), deepCopy(it.Value()))
		}
		return m
	case reflect.Array:
		a := reflect.New(t).Elem()
		for i := range v.Len() {
			a.Index(i).Set(deepCopy(v.Index(i)))
		}
		return a
	case reflect.Struct:
		s := reflect.New(t).Elem()
		s.Set(v)
		for i := range v.NumField() {
			if f := s.Field(i); f.CanSet() && hasRefs(f.Type()) {
				f.Set(deepCopy(v.Field(i)))
			}
		}
		return s
	}
	return v
}

// hasRefs reports whether values of t may share memory through exported
// slices, maps or pointers.
func hasRefs(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map:
		return true
	case reflect.Array:
		return hasRefs(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && hasRefs(f.Type) {
				return true
			}
		}
	}
	return false
}
