package mention

import "errors"

// decode is Unmarshal: it decodes data as json.Unmarshal would into a new
// Mention (see codec.go for the contract).
//
// Strings without escapes share one copy of the input, so a decoded
// mention costs one allocation for all its text; keeping any one of its
// strings keeps that copy alive.
func decode(data []byte) (*Mention, error) {
	d := decoder{data: data, s: string(data)}
	if err := d.value(); err != nil {
		return nil, err
	}
	m := new(Mention)
	switch d.s[d.pos] {
	case '{':
		if err := d.mention(m); err != nil {
			return nil, err
		}
	case 'n':
		if err := d.literal("null"); err != nil {
			return nil, err
		}
	default:
		return nil, d.typeError("a mention")
	}
	d.ws()
	if d.pos < len(d.s) {
		return nil, d.syntaxError(d.pos, "after top-level value")
	}
	return m, nil
}

// Keys of Mention, in the order of its fields.
const (
	kID = iota
	kSource
	kURL
	kCreatedAt
	kCollectedAt
	kAuthor
	kText
	kLang
	kHashtags
	kMentions
	kLinks
	kReplyTo
	kRepostOf
	kQuoteOf
	kGeo
	kLikes
	kReposts
	kReplies
	kViews
	kWatches
	kSentiment
	kCharter
	kEntities
	kIdea
	kRelayOfOfficial
	kDetractor
	kAnalyzedAt
)

var mentionKeys = [...]string{
	"id", "source", "url", "created_at", "collected_at", "author", "text", "lang",
	"hashtags", "mentions", "links", "reply_to", "repost_of", "quote_of", "geo",
	"likes", "reposts", "replies", "views", "watches", "sentiment", "charter",
	"entities", "idea", "relay_of_official", "detractor", "analyzed_at",
}

// mentionKey is matchKey(key, mentionKeys[:]) with a switch for the
// exact match: the linear search costs too much for 27 names.
func mentionKey(key string) int {
	switch key {
	case "id":
		return kID
	case "source":
		return kSource
	case "url":
		return kURL
	case "created_at":
		return kCreatedAt
	case "collected_at":
		return kCollectedAt
	case "author":
		return kAuthor
	case "text":
		return kText
	case "lang":
		return kLang
	case "hashtags":
		return kHashtags
	case "mentions":
		return kMentions
	case "links":
		return kLinks
	case "reply_to":
		return kReplyTo
	case "repost_of":
		return kRepostOf
	case "quote_of":
		return kQuoteOf
	case "geo":
		return kGeo
	case "likes":
		return kLikes
	case "reposts":
		return kReposts
	case "replies":
		return kReplies
	case "views":
		return kViews
	case "watches":
		return kWatches
	case "sentiment":
		return kSentiment
	case "charter":
		return kCharter
	case "entities":
		return kEntities
	case "idea":
		return kIdea
	case "relay_of_official":
		return kRelayOfOfficial
	case "detractor":
		return kDetractor
	case "analyzed_at":
		return kAnalyzedAt
	}
	return foldKey(key, mentionKeys[:])
}

func (d *decoder) mention(m *Mention) error {
	k, ok, err := d.beginObject()
	for ; ok; k, ok, err = d.nextKey() {
		f := mentionKey(k)
		switch f {
		case kID:
			err = d.string(&m.ID)
		case kSource:
			err = d.string(&m.Source)
		case kURL:
			err = d.string(&m.URL)
		case kCreatedAt:
			err = d.time(&m.CreatedAt)
		case kCollectedAt:
			err = d.time(&m.CollectedAt)
		case kAuthor:
			err = d.author(&m.Author)
		case kText:
			err = d.string(&m.Text)
		case kLang:
			err = d.string(&m.Lang)
		case kHashtags:
			err = decodeArray(d, &m.Hashtags)
		case kMentions:
			err = decodeArray(d, &m.Mentions)
		case kLinks:
			err = decodeArray(d, &m.Links)
		case kReplyTo:
			err = d.string(&m.ReplyTo)
		case kRepostOf:
			err = d.string(&m.RepostOf)
		case kQuoteOf:
			err = d.string(&m.QuoteOf)
		case kGeo:
			err = d.geo(&m.Geo)
		case kLikes:
			err = d.int64(&m.Likes)
		case kReposts:
			err = d.int64(&m.Reposts)
		case kReplies:
			err = d.int64(&m.Replies)
		case kViews:
			err = d.int64(&m.Views)
		case kWatches:
			err = decodeArray(d, &m.Watches)
		case kSentiment:
			err = d.sentiment(&m.Sentiment)
		case kCharter:
			err = decodeArray(d, &m.Charter)
		case kEntities:
			err = decodeArray(d, &m.Entities)
		case kIdea:
			err = d.bool(&m.Idea)
		case kRelayOfOfficial:
			err = d.bool(&m.RelayOfOfficial)
		case kDetractor:
			err = d.bool(&m.Detractor)
		case kAnalyzedAt:
			err = d.time(&m.AnalyzedAt)
		default:
			err = d.skip(1)
		}
		if err != nil {
			if f >= 0 {
				err = inField(err, mentionKeys[f])
			}
			return err
		}
	}
	return err
}

var authorKeys = [...]string{"id", "handle", "name", "followers", "verified", "employee_id", "region"}

// author decodes into a, which keeps what the object does not set, as
// with encoding/json: a repeated "author" key merges.
func (d *decoder) author(a *Author) error {
	switch d.s[d.pos] {
	case 'n':
		return d.literal("null")
	case '{':
	default:
		return d.typeError("an author")
	}
	k, ok, err := d.beginObject()
	for ; ok; k, ok, err = d.nextKey() {
		f := matchKey(k, authorKeys[:])
		switch f {
		case 0:
			err = d.string(&a.ID)
		case 1:
			err = d.string(&a.Handle)
		case 2:
			err = d.string(&a.Name)
		case 3:
			err = d.int64(&a.Followers)
		case 4:
			err = d.bool(&a.Verified)
		case 5:
			err = d.string(&a.EmployeeID)
		case 6:
			err = d.string(&a.Region)
		default:
			err = d.skip(2)
		}
		if err != nil {
			if f >= 0 {
				err = inField(err, authorKeys[f])
			}
			return err
		}
	}
	return err
}

var geoKeys = [...]string{"lat", "lon"}

// geo decodes a point; null sets *p to nil, an object decodes into the
// existing point if there is one.
func (d *decoder) geo(p **Geo) error {
	switch d.s[d.pos] {
	case 'n':
		*p = nil
		return d.literal("null")
	case '{':
	default:
		return d.typeError("a point")
	}
	if *p == nil {
		*p = new(Geo)
	}
	g := *p
	k, ok, err := d.beginObject()
	for ; ok; k, ok, err = d.nextKey() {
		f := matchKey(k, geoKeys[:])
		switch f {
		case 0:
			err = d.float64(&g.Lat)
		case 1:
			err = d.float64(&g.Lon)
		default:
			err = d.skip(2)
		}
		if err != nil {
			if f >= 0 {
				err = inField(err, geoKeys[f])
			}
			return err
		}
	}
	return err
}

var sentimentKeys = [...]string{"score", "label", "terms"}

func (d *decoder) sentiment(p **Sentiment) error {
	switch d.s[d.pos] {
	case 'n':
		*p = nil
		return d.literal("null")
	case '{':
	default:
		return d.typeError("a sentiment")
	}
	if *p == nil {
		*p = new(Sentiment)
	}
	s := *p
	k, ok, err := d.beginObject()
	for ; ok; k, ok, err = d.nextKey() {
		f := matchKey(k, sentimentKeys[:])
		switch f {
		case 0:
			err = d.float64(&s.Score)
		case 1:
			err = d.string(&s.Label)
		case 2:
			err = decodeArray(d, &s.Terms)
		default:
			err = d.skip(2)
		}
		if err != nil {
			if f >= 0 {
				err = inField(err, sentimentKeys[f])
			}
			return err
		}
	}
	return err
}

var termKeys = [...]string{"term", "weight"}

// term decodes an element of sentiment.terms, at depth 4.
func (d *decoder) term(t *Term) error {
	switch d.s[d.pos] {
	case 'n':
		return d.literal("null")
	case '{':
	default:
		return d.typeError("a term")
	}
	k, ok, err := d.beginObject()
	for ; ok; k, ok, err = d.nextKey() {
		f := matchKey(k, termKeys[:])
		switch f {
		case 0:
			err = d.string(&t.Term)
		case 1:
			err = d.float64(&t.Weight)
		default:
			err = d.skip(4)
		}
		if err != nil {
			if f >= 0 {
				err = inField(err, termKeys[f])
			}
			return err
		}
	}
	return err
}

var charterKeys = [...]string{"rule", "category", "severity", "spans"}

// charterFlag decodes an element of charter, at depth 3.
func (d *decoder) charterFlag(c *CharterFlag) error {
	switch d.s[d.pos] {
	case 'n':
		return d.literal("null")
	case '{':
	default:
		return d.typeError("a charter flag")
	}
	k, ok, err := d.beginObject()
	for ; ok; k, ok, err = d.nextKey() {
		f := matchKey(k, charterKeys[:])
		switch f {
		case 0:
			err = d.string(&c.Rule)
		case 1:
			err = d.string(&c.Category)
		case 2:
			err = d.int(&c.Severity)
		case 3:
			err = decodeArray(d, &c.Spans)
		default:
			err = d.skip(3)
		}
		if err != nil {
			if f >= 0 {
				err = inField(err, charterKeys[f])
			}
			return err
		}
	}
	return err
}

var spanKeys = [...]string{"start", "end", "text"}

// span decodes an element of charter[].spans, at depth 5.
func (d *decoder) span(s *Span) error {
	switch d.s[d.pos] {
	case 'n':
		return d.literal("null")
	case '{':
	default:
		return d.typeError("a span")
	}
	k, ok, err := d.beginObject()
	for ; ok; k, ok, err = d.nextKey() {
		f := matchKey(k, spanKeys[:])
		switch f {
		case 0:
			err = d.int(&s.Start)
		case 1:
			err = d.int(&s.End)
		case 2:
			err = d.string(&s.Text)
		default:
			err = d.skip(5)
		}
		if err != nil {
			if f >= 0 {
				err = inField(err, spanKeys[f])
			}
			return err
		}
	}
	return err
}

// decodeArray decodes a JSON array into *p, as encoding/json does: null
// sets *p to nil, [] to an empty slice, and elements are decoded into the
// elements already there, so a repeated key reuses (and for objects,
// merges into) what the earlier one decoded.
func decodeArray[T string | Term | CharterFlag | Span](d *decoder, p *[]T) error {
	switch d.s[d.pos] {
	case 'n':
		*p = nil
		return d.literal("null")
	case '[':
	default:
		return d.typeError("an array")
	}
	d.pos++
	if err := d.value(); err != nil {
		return err
	}
	if d.s[d.pos] == ']' {
		d.pos++
		*p = []T{}
		return nil
	}
	// encoding/json's reflect.Value.Grow and SetLen, by hand: elements past
	// the length but within the capacity keep what an earlier decoding of
	// a repeated key left there; new elements are zero. The capacity
	// itself is not observable, so the first allocation is for 4.
	s := *p
	if cap(s) == 0 {
		s = make([]T, 0, 4)
	}
	i := 0
	for more := true; more; i++ {
		if i >= len(s) {
			if i < cap(s) {
				s = s[:i+1]
			} else {
				var zero T
				s = append(s, zero)
			}
		}
		if err := d.elem(&s[i]); err != nil {
			return inElem(err, i)
		}
		var err error
		if more, err = d.nextElem(); err != nil {
			return err
		}
	}
	*p = s[:i]
	return nil
}

// elem decodes an array element. A type switch rather than a function
// value, so that the decoder does not escape to the heap.
func (d *decoder) elem(p any) error {
	switch p := p.(type) {
	case *string:
		return d.string(p)
	case *Term:
		return d.term(p)
	case *CharterFlag:
		return d.charterFlag(p)
	case *Span:
		return d.span(p)
	}
	return errors.New("no decoder for array element") // unreachable: decodeArray's constraint
}
