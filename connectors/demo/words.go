package demo

import (
	"strconv"
	"strings"
)

// Company names are a prefix and a root run together ("Northwind") and a
// suffix that also says the industry ("Northwind Logistics"). The lists'
// lengths multiply to 61,440 distinct names.
var (
	namePrefixes = [...]string{
		"North", "South", "East", "West", "Blue", "Red", "Green", "Silver", "Gold", "Iron", "Stone", "Bright",
		"Clear", "Swift", "High", "Deep", "Star", "Sun", "Moon", "Oak", "Pine", "Cedar", "Maple", "River",
		"Lake", "Sea", "Cloud", "Storm", "Fire", "Frost", "Snow", "Rock", "Sand", "Summit", "Harbor", "Copper",
		"Prime", "Nova", "Apex", "True", "Bold", "Quick", "Wild", "Grand", "Little", "Open", "Far", "Fair",
	}
	nameRoots = [...]string{
		"wind", "field", "stone", "gate", "bridge", "wood", "brook", "ridge", "vale", "point",
		"light", "wave", "peak", "path", "works", "forge", "line", "port", "haven", "mark",
		"way", "view", "crest", "fall", "spring", "gleam", "bay", "hill", "dale", "ford",
		"shore", "land", "mount", "side", "well", "water", "leaf", "rise", "glen", "moor",
	}
	nameSuffixes = [...]struct{ word, industry string }{
		{"Analytics", "Software"}, {"Software", "Software"}, {"Systems", "Software"}, {"Labs", "Software"},
		{"Cloud", "Software"}, {"Health", "Healthcare"}, {"Clinics", "Healthcare"}, {"Pharma", "Healthcare"},
		{"Capital", "Financial Services"}, {"Insurance", "Financial Services"}, {"Payments", "Financial Services"},
		{"Logistics", "Logistics"}, {"Freight", "Logistics"}, {"Foods", "Retail"}, {"Retail", "Retail"},
		{"Outfitters", "Retail"}, {"Motors", "Manufacturing"}, {"Manufacturing", "Manufacturing"},
		{"Industries", "Manufacturing"}, {"Energy", "Energy"}, {"Power", "Energy"}, {"Media", "Media"},
		{"Studios", "Media"}, {"Learning", "Education"}, {"Academy", "Education"}, {"Hotels", "Hospitality"},
		{"Travel", "Hospitality"}, {"Realty", "Real Estate"}, {"Properties", "Real Estate"},
		{"Telecom", "Telecommunications"}, {"Networks", "Telecommunications"}, {"Consulting", "Professional Services"},
	}
)

const nameSpace = len(namePrefixes) * len(nameRoots) * len(nameSuffixes)

// namePrime is coprime with nameSpace, so i → i·namePrime + offset visits
// every name once before any repeats: names are unique up to nameSpace
// accounts, and numbered after that ("Northwind Logistics 2").
const namePrime = 7919

// accountName returns account i's name and industry.
func (g *generator) accountName(i int) (name, industry string) {
	combo := (uint64(i%nameSpace)*namePrime + g.nameOffset) % uint64(nameSpace)
	suffix := nameSuffixes[combo%uint64(len(nameSuffixes))]
	combo /= uint64(len(nameSuffixes))
	root := nameRoots[combo%uint64(len(nameRoots))]
	prefix := namePrefixes[combo/uint64(len(nameRoots))]
	name = prefix + root + " " + suffix.word
	if round := i / nameSpace; round > 0 {
		name += " " + strconv.Itoa(round+1)
	}
	return name, suffix.industry
}

// slug turns a company name into the first label of its domain.
func slug(name string) string {
	return strings.ReplaceAll(strings.ToLower(name), " ", "-")
}

var (
	firstNames = [...]string{
		"Ava", "Liam", "Olivia", "Noah", "Emma", "Oliver", "Sophia", "Elijah", "Isabella", "Lucas",
		"Mia", "Mateo", "Amelia", "Levi", "Harper", "Ethan", "Evelyn", "James", "Aria", "Leo",
		"Chloe", "Daniel", "Layla", "Henry", "Zoe", "Samuel", "Nora", "Jack", "Lily", "Owen",
		"Hannah", "Wyatt", "Grace", "Julian", "Priya", "Arjun", "Mei", "Kenji", "Fatima", "Omar",
		"Ingrid", "Lars", "Chiara", "Marco", "Sofia", "Diego", "Amara", "Kwame", "Elena", "Tomas",
		"Yara", "Nikolai", "Aisha", "Ravi", "Hana", "Felix", "Clara", "Hugo", "Maya", "Theo",
	}
	lastNames = [...]string{
		"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
		"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
		"Lee", "Perez", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young",
		"Allen", "King", "Wright", "Scott", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson",
		"Patel", "Kim", "Chen", "Tanaka", "Mueller", "Rossi", "Dubois", "Silva", "Novak", "Larsen",
		"Okafor", "Haddad", "Kowalski", "Jensen", "Costa", "Schmidt", "Ivanova", "Sato", "Mensah", "Berg",
	}
	// The first contact of an account is the one who signs: QBRs and
	// renewals go to them.
	sponsorTitles = [...]string{
		"VP of Operations", "Head of Customer Experience", "Chief Operating Officer", "Director of IT",
		"VP of Sales", "Head of Revenue Operations", "Chief Technology Officer",
	}
	contactTitles = [...]string{
		"Operations Manager", "Business Analyst", "Software Engineer", "IT Administrator", "Procurement Lead",
		"Product Manager", "Finance Manager", "Team Lead", "Data Analyst", "Customer Support Lead",
	}
)

// namePairs is how many distinct first-and-last-name pairs there are.
const namePairs = len(firstNames) * len(lastNames)

// personName returns the name of teammate j, distinct for every teammate
// while there are fewer than namePairs.
func (g *generator) personName(j int) (first, last string) {
	pair := (uint64(j%namePairs)*namePrime + g.nameOffset) % uint64(namePairs)
	return firstNames[pair%uint64(len(firstNames))], lastNames[pair/uint64(len(firstNames))]
}

// emailLocal is the part of an email address before the @.
func emailLocal(first, last string) string {
	return strings.ToLower(first) + "." + strings.ToLower(last)
}

var (
	planNames  = [...]string{"Starter", "Growth", "Scale", "Enterprise"}
	addonPlans = [...]string{"Analytics add-on", "Premium support add-on"}
	// planPrices are monthly list prices in whole currency units. Each
	// plan's cheapest price is above the plan below's dearest, so moving up
	// a plan always raises MRR and moving down always lowers it.
	planPrices = [len(planNames)][]int64{
		{49, 79, 99, 149, 199, 249, 299},
		{400, 500, 750, 1000, 1250, 1500, 2000},
		{2500, 3000, 3500, 4000, 5000, 6000},
		{7500, 9000, 10000, 12500, 15000, 20000},
	}
	discountPercents = [...]int64{10, 15, 20, 25, 30}

	// Unhealthy accounts leave for the first list's reasons, healthy ones
	// for the second's: the reason agrees with the signals before it.
	churnReasonsUnhealthy = [...]string{"low adoption", "poor support experience", "switched to a competitor"}
	churnReasonsOther     = [...]string{"budget cuts", "company acquired", "missing features"}
	lostReasons           = [...]string{"chose a competitor", "no budget", "no decision", "timing", "missing features"}
)

var (
	ticketSubjects = [...]string{
		"Cannot log in", "Export fails with a timeout", "Invoice shows the wrong amount", "Sync stopped overnight",
		"How do I add a user?", "Dashboard loads slowly", "API returns 500", "Request: SSO setup",
		"Data missing after import", "Permission error on reports", "Webhook not firing", "Change billing contact",
		"Integration disconnected", "Bulk edit question", "Password reset email not arriving",
	}
	csEmailSubjects  = [...]string{"Checking in", "Your usage this month", "Following up on our call", "New features you asked about", "Adoption plan", "Quick question"}
	inboundSubjects  = [...]string{"Re: Checking in", "Question about reporting", "Re: Adoption plan", "Feedback on the new release", "Can we talk about seats?"}
	callSubjects     = [...]string{"Check-in call", "Adoption review", "Escalation call", "Roadmap walkthrough"}
	meetingSubjects  = [...]string{"Working session", "Admin training", "Success plan review", "Executive check-in"}
	noteSubjects     = [...]string{"Internal note: champion changing roles", "Internal note: usage dropped", "Internal note: expansion potential", "Internal note: account review"}
	salesSubjects    = [...]string{"Intro call", "Demo", "Proposal", "Pricing discussion", "Contract review", "Renewal terms"}
	campaignSubjects = [...]string{"Product newsletter", "Webinar invitation", "New integrations are live", "Customer story", "Quarterly release notes", "Event invitation"}
	npsComments      = [3][]string{
		{"Support takes too long to answer.", "We barely use it any more.", "Too expensive for what we get.", "Reporting keeps breaking."},
		{"Does the job.", "Good, but setup was hard.", "Would like more integrations."},
		{"Our team relies on it every day.", "Great support and onboarding.", "Saved us hours every week."},
	}
)
