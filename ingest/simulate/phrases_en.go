package simulate

// englishLexicon is what English posts are made of (see frenchLexicon).
func englishLexicon() *lexicon {
	return &lexicon{
		lang: en,
		openers: [nTones][]string{
			neutral: {"Quick question:", "So", "Random one:", "Hey,", "Ok so", "PSA:", "Genuine question:", "Anyway,",
				"Hey all,", "Curious:", "Help:", "Travel folks,", "Question for the hive mind:"},
			positive: {"Honestly,", "Gotta say,", "Credit where it's due:", "Ngl,", "Wow.", "Not gonna lie,", "Small win:"},
			negative: {"Rant:", "Seriously,", "Ugh.", "Unreal.", "Again?", "Honestly,", "Smh,", "Wow.", "Not impressed:"},
		},
		tails: [nTones][]string{
			neutral: {"we'll see", "any tips?", "asking for a friend", "thoughts?", "tbh", "just wondering",
				"cheers", "ta", "no idea tbh", "help appreciated", "curious"},
			positive: {"love to see it", "10/10", "would recommend", "made my day", "fair play", "great stuff", "impressed tbh"},
			negative: {"ffs", "unacceptable", "so done", "what a joke", "never again", "absolute shambles", "smh", "not ok", "thanks for nothing"},
		},
		core: [nSectors][nTones][]string{
			secGeneric: {
				neutral: {
					"anyone tried the new {b} app? worth it?",
					"torn between {b} and {c}, thoughts?",
					"does {b} customer service answer on Sundays?",
					"is it just me or did the {b} website change again?",
					"{b} just announced new winter offers, we'll see",
					"still waiting for my confirmation email from {b}, how long does it usually take?",
					"{b} or {c}, which one do you pick?",
					"interesting read on how {b} competes with {c} {link}",
					"filling in the {b} satisfaction survey {today}",
					"what do you all think of the new {b} logo?",
					"is {b} hiring at the moment? asking for real",
					"{b} updated their terms again. does anyone actually read those?",
					"anyone have a phone number for {b} customer service? can't find it anywhere",
					"{b} launched a student offer, anyone checked the small print?",
					"is the {b} loyalty card worth it if you travel {n} times a year?",
					"saw a {b} ad on TV {today}, did they change agencies?",
					"does {b} do discounts for groups of {n}?",
					"office debate: {b} or {c}?",
				},
				positive: {
					"honestly {b} nailed it today",
					"shoutout to {b} customer service, sorted in {dur}",
					"not bad at all, the new {b} app",
					"finally got my refund from {b}, miracles do happen",
					"{b} staff were lovely today, thank you",
					"never had an issue with {b}, loyal for {n} years",
					"credit where it's due, {b} did great",
					"expected the worst from {b} and it was actually perfect",
					"{b} over {c} any day",
					"can't fault {b} this time, smooth from start to finish",
				},
				negative: {
					"{b} customer service is not great, {dur} on hold",
					"{b} still hasn't refunded me, {n} weeks now",
					"emailed {b} {n} times, zero answer",
					"really disappointed with {b} this time",
					"the {b} app crashed again",
					"never again with {b}",
					"{b} raising prices again, seriously?",
					"what a mess at {b} today",
					"the {b} chatbot understands nothing, let me talk to a human",
					"at least {c} answers the phone. take notes {b}",
					"can't believe how bad {b} has become",
				},
			},
			secAirline: {
				neutral: {
					"flying {b} to {city} tomorrow morning, fingers crossed",
					"boarding in {n}0 min with {b}, off to {city}",
					"has anyone flown {b} to {city}? how's the cabin?",
					"layover in {city} with {b}, waiting game",
					"checked bag or carry-on with {b} for {n} days? can't decide",
					"comparing {b} and {c} for {city} this summer, prices are about the same",
				},
				positive: {
					"smooth flight to {city} with {b}, on time and great crew",
					"upgraded by {b} on my way to {city}, best day ever",
					"the food on {b} was actually good?? who knew",
					"missed my connection and {b} rebooked me on the next flight, no fuss. respect",
					"the {b} crew were so kind to my kid, thank you",
				},
				negative: {
					"{dur} delay on my {b} flight to {city} and no info",
					"{b} lost my bag in {city}, great start to the holidays",
					"{b} cancelled my flight the night before, thanks for the notice",
					"stuck in {city}, {b} has left us with no solution for {dur}",
					"{b} economy seats are not great for a {n}h flight",
					"overbooked and bumped by {b}, no explanation whatsoever",
				},
			},
		},
		crisis: [nSectors][nTones][]string{
			secGeneric: {
				neutral: {
					"what we know so far about {inc} at {b} 🧵",
					"{b} management says it will press charges after {inc}",
					"{b} shares slide after {inc}",
					"my whole timeline is about {b} {today}, just catching up on {inc}",
				},
				positive: {
					"solidarity with the {b} staff working through this",
					"the {b} employees aren't to blame, respect to them",
				},
				negative: {
					"what a disgrace, {b}. {inc}?!",
					"{inc} is a disgrace. shame on {b}",
					"boycotting {b} until they sort this out",
					"watched {inc}... {b} what are you doing",
					"absolute shambles at {b}. {inc} and not a word of apology",
					"never using {b} again after {inc}",
					"{b} management should be ashamed of {inc}",
					"how is {b} still defending itself after {inc}? disgraceful",
				},
			},
			secAirline: {
				neutral: {
					"anyone at CDG with news on {b} flights {today}?",
				},
				positive: {
					"my {b} flight left on time despite everything, thanks to the crew",
				},
				negative: {
					"flight cancelled AGAIN. thanks for nothing {b}",
					"{b} strike chaos: cancelled, rebooked, cancelled again",
					"stranded in {city} because of the {b} strike, sleeping at the airport tonight",
					"{dur} delay, zero info, and {b} is still posting ads? disgraceful",
				},
			},
		},
		incidents: [nSectors][]string{
			secGeneric: {"the data breach", "the massive outage", "the viral video", "the layoffs row"},
			secAirline: {"the torn shirt video", "the pilots' strike", "the ripped shirt scandal", "the 2,900 job cuts",
				"the works council meeting that turned violent"},
		},
		switchers: []string{"switching to {c}", "{c} next time", "bye {b}, hello {c}", "at least {c} works"},
		tags: [nSectors][]string{
			secGeneric: {"#customerservice", "#fail", "#consumer"},
			secAirline: {"#travel", "#avgeek", "#flying", "#CDG", "#paris"},
		},
		official: [nSectors][]string{
			secGeneric: {
				"Have a great day from all of us at {b} ☀️",
				"New: manage your bookings right in the {b} app 📱 {link}",
				"{b} is hiring! See our openings {link} #jobs",
				"Thank you for your loyalty 💙 {b}",
			},
			secAirline: {
				"✈️ Fancy some sun? Fly to {city} from €{price} with {b} {link}",
				"New {b} route: Paris – {city} starting next month ✈️ {link}",
			},
		},
		care: []string{
			"{to} Hi, the {b} team is sorry about this. Could you DM us your booking reference? ^{ini}",
			"{to} We understand your frustration. The {b} team will get back to you shortly. ^{ini}",
		},
		statement: [nSectors]string{
			secGeneric: "Statement from {b} following today's events. We are looking into the situation. {link}",
			secAirline: "Statement: {b} condemns in the strongest terms the violence that occurred today and stands by its employees. {link}",
		},
		media: [nSectors][]string{
			secGeneric: {
				"BREAKING: {b} under fire after {inc} {link}",
				"{b}: what we know about {inc} {link}",
				"VIDEO: {inc} puts {b} in the spotlight {link}",
			},
			secAirline: {
				"{b} condemns 'unacceptable violence' after {inc} {link}",
				"Strike, cancelled flights and {inc}: a black day for {b} {link}",
			},
		},
		empAdvocacy: []string{
			"Proud to be part of the {b} team 💙", "Great news from {b} 👇", "This is why I love working at {b} ✈️",
			"Proud of my {b} colleagues 👏",
		},
		empComplaint: []string{
			"another reorg at {b}, nobody knows who does what anymore",
			"third rota change this week. thanks {b}",
			"{b} management just doesn't listen to us",
			"always more with less at {b}",
		},
		empIdea: []string{
			"what if {b} texted customers about delays before they leave home?",
			"idea for {b}: a real human on chat in the evening, not just a bot",
			"we should offer free wifi everywhere at {b}, customers keep asking",
		},
		empCrisis: [nTones][]string{
			neutral:  {"we got an internal email about {inc}, can't say more but things are heating up at {b}"},
			positive: {"hang in there, {b} colleagues 💪", "proud of my {b} colleagues holding the fort despite {inc}"},
			negative: {
				"from the inside: the mood at {b} has been very tense since {inc}",
				"I don't condone violence, but {b} management pushed the teams too far",
				"sad day for {b}. we don't deserve this",
			},
		},
		empRisky: []string{
			"quarterly numbers aren't out yet but it's going to hurt at {b} 😬",
			"confidential meeting at {b} this morning about the restructuring, things are moving",
		},
		durations: []string{"45 min", "2 hours", "an hour", "90 minutes", "3h", "half an hour", "4 hours"},
		cities: []string{"New York", "London", "Montreal", "Tokyo", "Nice", "Rome", "Lisbon", "Berlin", "Barcelona",
			"Bangkok", "Dubai", "Boston", "Toronto", "Edinburgh"},
		today:  [4]string{"tonight", "this morning", "this afternoon", "tonight"},
		repost: "RT @",
		articleHosts: []string{"https://www.eurobizwatch.example/news/", "https://www.aviationdesk.example/story/",
			"https://www.dailyledger.example/business/"},
	}
}
