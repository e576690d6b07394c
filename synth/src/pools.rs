//! Named group pools per modality: labels, trait vectors and attribute names.

use super::{BEAUTY, BIZ, COLD, CULTURE, DIMS, FAMILY, FOOD, PRICE, SPORT, TECH, Traits, YOUTH};

pub(crate) struct PoolGroup {
    pub(crate) label: &'static str,
    pub(crate) traits: &'static [(usize, f64)],
    pub(crate) names: &'static [&'static str],
}

impl PoolGroup {
    pub(crate) fn traits(&self) -> Traits {
        let mut t = [0.0; DIMS];
        for &(d, v) in self.traits {
            t[d] = v;
        }
        t
    }
}

macro_rules! group {
    ($label:expr, [$(($d:expr, $v:expr)),* $(,)?], [$($name:expr),* $(,)?]) => {
        PoolGroup { label: $label, traits: &[$(($d, $v)),*], names: &[$($name),*] }
    };
}

pub(crate) fn pool_for(modality: &str) -> &'static [PoolGroup] {
    match modality {
        "brand" => BRANDS,
        "audience" => AUDIENCES,
        "platform" => PLATFORMS,
        "geo" => GEOS,
        "interest-and-other-attributes" | "interest" => INTERESTS,
        "campaign-objective" => OBJECTIVES,
        "campaign-buying-type" => BUYING_TYPES,
        "device" => DEVICES,
        "gender-generation" => GENDER_GENERATION,
        "media-buy-billing-event" => BILLING_EVENTS,
        "media-buy-cost-model" => COST_MODELS,
        _ => &[],
    }
}

#[rustfmt::skip]
static BRANDS: &[PoolGroup] = &[
    group!("Luxury Fashion Houses", [(PRICE, 1.0), (YOUTH, -0.2), (BEAUTY, 0.9), (CULTURE, 0.3)],
        ["Dior", "Chanel", "Gucci", "Prada", "Louis Vuitton", "Hermes", "Burberry", "Versace",
         "Balenciaga", "Fendi"]),
    group!("Luxury Watches and Jewellery", [(PRICE, 1.0), (YOUTH, -0.5), (BIZ, 0.4), (BEAUTY, 0.4)],
        ["Rolex", "Cartier", "Omega", "Tiffany & Co.", "Patek Philippe", "TAG Heuer", "Bulgari",
         "Audemars Piguet", "Breitling", "Van Cleef & Arpels"]),
    group!("Sportswear", [(SPORT, 1.0), (YOUTH, 0.6), (PRICE, 0.1), (BIZ, -0.3)],
        ["Nike", "Adidas", "Puma", "Under Armour", "New Balance", "Asics", "Reebok", "Lululemon",
         "Fila", "Mizuno"]),
    group!("Outdoor and Winter Gear", [(COLD, 1.0), (SPORT, 0.6), (PRICE, 0.3), (YOUTH, 0.1)],
        ["The North Face", "Patagonia", "Columbia", "Arc'teryx", "Salomon", "Canada Goose",
         "Helly Hansen", "Mammut", "Burton", "Fjallraven"]),
    group!("Beach and Casual Footwear", [(COLD, -0.9), (YOUTH, 0.7), (CULTURE, 0.3), (PRICE, -0.2), (BIZ, -0.4)],
        ["Havaianas", "Vans", "Converse", "Crocs", "Quiksilver", "Billabong", "Roxy", "Birkenstock",
         "Rip Curl", "O'Neill"]),
    group!("B2B Software", [(BIZ, 1.0), (TECH, 0.7), (YOUTH, -0.5), (CULTURE, -0.5), (BEAUTY, -0.3), (FAMILY, -0.3), (SPORT, -0.3)],
        ["Salesforce", "Oracle", "SAP", "Workday", "ServiceNow", "Slack", "Atlassian", "HubSpot",
         "Zoom", "Cisco"]),
    group!("Beverages and Energy Drinks", [(FOOD, 1.0), (YOUTH, 0.6), (SPORT, 0.4), (CULTURE, 0.4), (BIZ, -0.1)],
        ["Red Bull", "Monster Energy", "Coca-Cola", "Pepsi", "Gatorade", "Heineken", "Sprite",
         "Corona", "Aperol", "Fanta"]),
    group!("Beauty and Cosmetics", [(BEAUTY, 1.0), (YOUTH, 0.3), (PRICE, 0.2), (SPORT, -0.2), (BIZ, -0.3)],
        ["Sephora", "L'Oreal", "Maybelline", "MAC Cosmetics", "Estee Lauder", "Fenty Beauty",
         "Clinique", "Glossier", "NYX", "Lancome"]),
    group!("Budget Retail", [(PRICE, -1.0), (FAMILY, 0.5), (YOUTH, 0.1)],
        ["Walmart", "Primark", "Shein", "Temu", "Aldi", "Lidl", "Dollar General", "Target", "Kmart",
         "Five Below"]),
    group!("Consumer Electronics and Gaming", [(TECH, 1.0), (YOUTH, 0.5), (CULTURE, 0.4)],
        ["Apple", "Samsung", "PlayStation", "Xbox", "Nintendo", "Razer", "Logitech", "Xiaomi",
         "Bose", "Nvidia"]),
    group!("Automotive", [(PRICE, 0.5), (BIZ, 0.3), (FAMILY, 0.3), (YOUTH, -0.3), (TECH, 0.3)],
        ["Tesla", "BMW", "Mercedes-Benz", "Toyota", "Ford", "Porsche", "Volkswagen", "Audi", "Honda",
         "Volvo"]),
    group!("Fast Food and Delivery", [(FOOD, 1.0), (PRICE, -0.5), (YOUTH, 0.5), (FAMILY, 0.4), (BEAUTY, -0.3)],
        ["McDonald's", "Burger King", "KFC", "Domino's", "Subway", "Taco Bell", "Starbucks",
         "Uber Eats", "DoorDash", "Deliveroo"]),
    group!("Travel and Hospitality", [(CULTURE, 0.5), (PRICE, 0.3), (COLD, -0.4), (FAMILY, 0.3)],
        ["Marriott", "Airbnb", "Booking.com", "Expedia", "Hilton", "Emirates", "Ryanair", "Delta",
         "Lufthansa", "Hyatt"]),
    group!("Financial Services", [(BIZ, 0.8), (PRICE, 0.3), (TECH, 0.4), (YOUTH, -0.2)],
        ["Visa", "Mastercard", "American Express", "PayPal", "Revolut", "HSBC", "JPMorgan Chase",
         "Klarna", "Stripe", "Goldman Sachs"]),
    group!("Streaming and Entertainment", [(CULTURE, 1.0), (YOUTH, 0.5), (TECH, 0.3), (FAMILY, 0.2)],
        ["Netflix", "Spotify", "Disney+", "HBO Max", "Paramount+", "Warner Bros", "Universal Music",
         "Live Nation", "Ticketmaster", "Crunchyroll"]),
];

#[rustfmt::skip]
static AUDIENCES: &[PoolGroup] = &[
    group!("Athletes and Fitness", [(SPORT, 1.0), (YOUTH, 0.4), (FOOD, 0.2)],
        ["Athletes", "Fitness Enthusiasts", "Runners", "Gym Goers", "Yoga Practitioners", "Cyclists",
         "Marathon Runners", "CrossFit Fans"]),
    group!("Winter and Outdoor", [(COLD, 1.0), (SPORT, 0.6)],
        ["Winter Sports Enthusiasts", "Skiers", "Snowboarders", "Hikers", "Campers", "Mountaineers",
         "Anglers", "Trail Runners"]),
    group!("Budget Shoppers", [(PRICE, -1.0), (FAMILY, 0.3)],
        ["Budget Shoppers", "Coupon Clippers", "Bargain Hunters", "Discount Seekers",
         "Students on a Budget", "Value-Conscious Families", "Thrift Shoppers", "Price Comparers"]),
    group!("Luxury Shoppers", [(PRICE, 1.0), (YOUTH, -0.3), (BEAUTY, 0.4)],
        ["Luxury Shoppers", "High Net Worth Individuals", "Designer Fashion Buyers",
         "Fine Jewellery Collectors", "Luxury Travellers", "Watch Collectors", "Art Collectors",
         "Yacht Owners"]),
    group!("Beauty and Fashion", [(BEAUTY, 1.0), (YOUTH, 0.4), (BIZ, -0.2)],
        ["Beauty Enthusiasts", "Women 18-34", "Skincare Fans", "Fashionistas", "Makeup Artists",
         "Fragrance Lovers", "Nail Art Fans", "Hair Care Enthusiasts"]),
    group!("Business Professionals", [(BIZ, 1.0), (YOUTH, -0.4), (TECH, 0.6), (PRICE, 0.3), (CULTURE, -0.3)],
        ["C-Suite Executives", "IT Decision Makers", "Small Business Owners", "Sales Professionals",
         "HR Managers", "Startup Founders", "Procurement Managers", "Marketing Managers"]),
    group!("Gamers and Tech", [(TECH, 1.0), (YOUTH, 0.8), (BIZ, -0.2)],
        ["Gamers", "Esports Fans", "Tech Early Adopters", "PC Builders", "Mobile Gamers",
         "Console Gamers", "Streamers", "VR Enthusiasts"]),
    group!("Pop Culture and Music", [(CULTURE, 1.0), (YOUTH, 0.8), (BIZ, -0.4)],
        ["K-Pop Fans", "Music Festival Goers", "Anime Fans", "Movie Buffs", "Concert Goers",
         "Hip-Hop Fans", "Pop Music Fans", "TV Series Bingers"]),
    group!("Families and Parents", [(FAMILY, 1.0), (YOUTH, -0.3), (PRICE, -0.2), (BIZ, -0.2)],
        ["New Parents", "Families with Young Children", "Stay-at-Home Parents", "Homeowners",
         "Pet Owners", "DIY Enthusiasts", "Home Cooks", "Grandparents"]),
    group!("Beach and Travel", [(COLD, -1.0), (CULTURE, 0.4), (YOUTH, 0.3)],
        ["Beach Lovers", "Surfers", "Backpackers", "Frequent Flyers", "Cruise Travellers",
         "Summer Holidaymakers", "Scuba Divers", "Digital Nomads"]),
    group!("Foodies and Nightlife", [(FOOD, 1.0), (YOUTH, 0.3), (CULTURE, 0.3)],
        ["Foodies", "Craft Beer Fans", "Wine Lovers", "Coffee Lovers", "Party Goers",
         "Fast Food Fans", "Vegan Food Fans", "Cocktail Lovers"]),
    group!("Seniors and Retirees", [(YOUTH, -1.0), (FAMILY, 0.3), (PRICE, 0.2), (TECH, -0.4)],
        ["Retirees", "Seniors 65+", "Golfers", "Gardeners", "Grandparents Travelling",
         "Retirement Planners", "Bird Watchers", "Classic Car Owners"]),
];

#[rustfmt::skip]
static PLATFORMS: &[PoolGroup] = &[
    group!("Short-Video Social", [(YOUTH, 1.0), (CULTURE, 0.6), (BIZ, -0.7), (PRICE, -0.2)],
        ["TikTok", "Snapchat", "YouTube Shorts", "Triller", "Likee"]),
    group!("Visual Social", [(BEAUTY, 0.7), (YOUTH, 0.3), (FAMILY, 0.3), (CULTURE, 0.3)],
        ["Instagram", "Pinterest", "Facebook", "Threads", "Tumblr"]),
    group!("Professional Networks", [(BIZ, 1.0), (YOUTH, -0.3), (CULTURE, -0.3), (SPORT, -0.2)],
        ["LinkedIn", "Xing", "Glassdoor", "Indeed", "Medium"]),
    group!("Discount Marketplaces", [(PRICE, -1.0), (FAMILY, 0.3), (BEAUTY, -0.2)],
        ["Wish", "AliExpress", "Shopee", "Mercado Libre", "Lazada"]),
    group!("Gaming and Live Streaming", [(TECH, 1.0), (YOUTH, 0.9), (BIZ, -0.3)],
        ["Twitch", "Discord", "Steam", "Roblox", "Kick"]),
    group!("Search and Video", [(CULTURE, 0.4), (FAMILY, 0.3), (BIZ, 0.3), (TECH, 0.2)],
        ["Google Search", "YouTube", "Bing", "Reddit", "X"]),
];

#[rustfmt::skip]
static GEOS: &[PoolGroup] = &[
    group!("Nordics and Alpine", [(COLD, 1.0), (PRICE, 0.7), (YOUTH, -0.3), (SPORT, 0.3)],
        ["Norway", "Sweden", "Finland", "Denmark", "Iceland", "Switzerland", "Austria",
         "Liechtenstein", "Andorra"]),
    group!("Western Europe", [(PRICE, 0.5), (BEAUTY, 0.3), (BIZ, 0.3), (CULTURE, 0.2)],
        ["United Kingdom", "France", "Germany", "Italy", "Spain", "Netherlands", "Belgium",
         "Ireland", "Portugal", "Luxembourg", "Monaco", "Malta", "San Marino", "Greece", "Cyprus"]),
    group!("North America and Australasia", [(PRICE, 0.6), (BIZ, 0.6), (TECH, 0.5), (SPORT, 0.3)],
        ["United States", "Canada", "Australia", "New Zealand"]),
    group!("Latin America", [(COLD, -1.0), (YOUTH, 0.5), (CULTURE, 0.4), (PRICE, -0.3), (SPORT, 0.3)],
        ["Brazil", "Mexico", "Argentina", "Colombia", "Chile", "Peru", "Costa Rica", "Ecuador",
         "Uruguay", "Venezuela", "Bolivia", "Paraguay", "Panama", "Guatemala", "Honduras",
         "El Salvador", "Nicaragua"]),
    group!("East Asia", [(TECH, 0.9), (BEAUTY, 0.6), (CULTURE, 0.6), (PRICE, 0.4)],
        ["Japan", "South Korea", "China", "Taiwan", "Hong Kong", "Singapore", "Mongolia", "Macau"]),
    group!("South and Southeast Asia", [(PRICE, -0.6), (YOUTH, 0.7), (COLD, -0.8), (TECH, 0.3)],
        ["India", "Indonesia", "Philippines", "Vietnam", "Thailand", "Malaysia", "Pakistan",
         "Bangladesh", "Sri Lanka", "Nepal", "Cambodia", "Myanmar", "Laos", "Brunei", "Bhutan",
         "Maldives", "Timor-Leste", "Afghanistan"]),
    group!("Middle East", [(PRICE, 0.6), (COLD, -0.9), (BIZ, 0.4), (FOOD, -0.3)],
        ["United Arab Emirates", "Saudi Arabia", "Qatar", "Kuwait", "Israel", "Turkey", "Bahrain",
         "Oman", "Jordan", "Lebanon", "Iraq", "Iran", "Syria", "Yemen"]),
    group!("Africa", [(PRICE, -0.7), (COLD, -1.0), (YOUTH, 0.8), (SPORT, 0.3)],
        ["Nigeria", "Kenya", "South Africa", "Egypt", "Ghana", "Morocco", "Gambia", "Ethiopia",
         "Senegal", "Tanzania", "Uganda", "Algeria", "Tunisia", "Cameroon", "Ivory Coast", "Angola",
         "Mozambique", "Zambia", "Zimbabwe", "Rwanda", "Botswana", "Namibia", "Madagascar", "Mali",
         "Burkina Faso", "Niger", "Chad", "Sudan", "South Sudan", "Somalia", "Libya", "Mauritania",
         "Benin", "Togo", "Sierra Leone", "Liberia", "Guinea", "Guinea-Bissau", "Malawi", "Lesotho",
         "Eswatini", "Gabon", "Republic of the Congo", "DR Congo", "Central African Republic",
         "Equatorial Guinea", "Eritrea", "Djibouti", "Burundi", "Cape Verde", "Comoros", "Mauritius",
         "Seychelles", "Sao Tome and Principe"]),
    group!("Eastern Europe and Central Asia", [(COLD, 0.6), (PRICE, -0.3), (SPORT, 0.2)],
        ["Poland", "Czechia", "Hungary", "Romania", "Ukraine", "Bulgaria", "Serbia", "Slovakia",
         "Croatia", "Slovenia", "Estonia", "Latvia", "Lithuania", "Belarus", "Moldova",
         "Bosnia and Herzegovina", "Albania", "North Macedonia", "Montenegro", "Kosovo", "Russia",
         "Kazakhstan", "Uzbekistan", "Georgia", "Armenia", "Azerbaijan", "Kyrgyzstan", "Tajikistan",
         "Turkmenistan"]),
    group!("Caribbean", [(COLD, -1.0), (CULTURE, 0.5), (PRICE, -0.3), (FOOD, 0.4)],
        ["Jamaica", "Dominican Republic", "Bahamas", "Barbados", "Trinidad and Tobago", "Cuba",
         "Haiti", "Puerto Rico", "Saint Lucia", "Grenada", "Antigua and Barbuda", "Belize",
         "Saint Kitts and Nevis", "Dominica", "Saint Vincent and the Grenadines", "Guyana",
         "Suriname"]),
    group!("Pacific Islands", [(COLD, -1.0), (PRICE, -0.4), (FAMILY, 0.3)],
        ["Fiji", "Papua New Guinea", "Samoa", "Tonga", "Vanuatu", "Solomon Islands", "Kiribati",
         "Micronesia", "Marshall Islands", "Palau", "Tuvalu", "Nauru"]),
];

#[rustfmt::skip]
static INTERESTS: &[PoolGroup] = &[
    group!("Entrepreneurship and Finance", [(BIZ, 1.0), (PRICE, 0.3), (YOUTH, -0.1)],
        ["Entrepreneurship and Sales", "Personal Finance", "Investing and Stock Markets",
         "Real Estate", "Cryptocurrency", "Startups and Venture Capital",
         "Leadership and Management", "Small Business"]),
    group!("Luxury Lifestyle", [(PRICE, 1.0), (YOUTH, -0.3), (BEAUTY, 0.3)],
        ["Luxury German Automobiles", "Supercars", "Luxury Watches", "Yachting", "Fine Dining",
         "Private Aviation", "Luxury Hotels", "Haute Couture"]),
    group!("Fashion and Intimates", [(BEAUTY, 1.0), (YOUTH, 0.4), (PRICE, 0.2)],
        ["Lingerie and Intimate Wear", "Streetwear", "Sneaker Culture", "Vintage Fashion",
         "Sustainable Fashion", "Menswear", "Plus-Size Fashion", "Accessories and Handbags"]),
    group!("Beauty and Wellness", [(BEAUTY, 1.0), (FAMILY, 0.2), (SPORT, 0.2)],
        ["Skincare", "Makeup Tutorials", "Fragrances", "Hair Care", "Spa and Wellness", "Nail Art",
         "Natural Beauty Products", "Anti-Ageing"]),
    group!("Sci-Fi and Geek Culture", [(CULTURE, 0.8), (TECH, 0.5), (YOUTH, 0.5)],
        ["Sci-Fi and Space Exploration", "Comic Books", "Anime and Manga", "Fantasy Novels",
         "Board Games", "Cosplay", "Astronomy", "Tabletop RPGs"]),
    group!("Gaming", [(TECH, 1.0), (YOUTH, 0.9), (BIZ, -0.3)],
        ["Video Games", "Esports", "Mobile Games", "PC Gaming Hardware", "Retro Gaming",
         "Game Streaming", "Virtual Reality", "Strategy Games"]),
    group!("Weddings and Family", [(FAMILY, 1.0), (YOUTH, -0.1), (BEAUTY, 0.2)],
        ["Weddings and Marriage", "Parenting", "Pregnancy and Babies", "Home Decor",
         "Family Holidays", "Pets and Animals", "Gardening", "Home Improvement"]),
    group!("Sports and Fitness", [(SPORT, 1.0), (YOUTH, 0.4)],
        ["Running", "Football (Soccer)", "Basketball", "Yoga", "Weight Training", "Cycling",
         "Tennis", "Martial Arts"]),
    group!("Outdoor and Winter", [(COLD, 1.0), (SPORT, 0.6)],
        ["Skiing and Snowboarding", "Hiking and Trekking", "Camping", "Mountain Climbing",
         "Fishing", "Hunting", "Ice Hockey", "Winter Holidays"]),
    group!("Beach and Water", [(COLD, -1.0), (CULTURE, 0.3), (SPORT, 0.3)],
        ["Surfing", "Beach Holidays", "Scuba Diving", "Sailing", "Tropical Travel", "Swimming",
         "Cruises", "Water Parks"]),
    group!("Food and Drink", [(FOOD, 1.0), (FAMILY, 0.2)],
        ["Cooking and Recipes", "Craft Beer", "Wine Tasting", "Coffee Culture",
         "Vegan and Plant-Based", "Baking", "Street Food", "Cocktails"]),
    group!("Music and Nightlife", [(CULTURE, 1.0), (YOUTH, 0.7), (FOOD, 0.3)],
        ["K-Pop", "Hip-Hop and Rap", "Electronic Dance Music", "Music Festivals", "Nightclubs",
         "Rock and Metal", "Latin Music", "Live Concerts"]),
    group!("Film and TV", [(CULTURE, 0.8), (FAMILY, 0.2)],
        ["Movies", "TV Series", "Documentaries", "Reality TV", "Horror Films", "Streaming Services",
         "Celebrity News", "Stand-Up Comedy"]),
    group!("Technology", [(TECH, 1.0), (BIZ, 0.5)],
        ["Artificial Intelligence", "Smartphones", "Gadgets", "Software Development",
         "Cybersecurity", "Cloud Computing", "Smart Home", "Data Science"]),
    group!("Budget and Deals", [(PRICE, -1.0), (FAMILY, 0.3)],
        ["Coupons and Deals", "Discount Shopping", "Thrift Shopping", "Budget Travel",
         "Cashback Offers", "Second-Hand Marketplaces", "Grocery Savings", "Free Samples"]),
    group!("Health and Later Life", [(YOUTH, -1.0), (FAMILY, 0.3), (TECH, -0.3)],
        ["Retirement Planning", "Health and Medicine", "Golf", "Genealogy", "Bird Watching",
         "Knitting and Crafts", "Caravanning", "Senior Travel"]),
    group!("Education and Careers", [(BIZ, 0.5), (YOUTH, 0.5), (TECH, 0.2)],
        ["Online Courses", "Job Hunting", "Language Learning", "University Life", "Study Abroad",
         "Professional Certifications", "Teaching", "Science"]),
    group!("News and Society", [(YOUTH, -0.4), (BIZ, 0.3), (CULTURE, 0.2)],
        ["World News", "Politics", "Economics", "Environmentalism", "Charity and Volunteering",
         "History", "Philosophy", "Religion"]),
    group!("Arts and Design", [(CULTURE, 0.6), (PRICE, 0.3), (BEAUTY, 0.3)],
        ["Photography", "Painting", "Architecture", "Interior Design", "Museums and Galleries",
         "Graphic Design", "Theatre", "Poetry"]),
    group!("Cars and Motorsport", [(SPORT, 0.3), (TECH, 0.4), (YOUTH, -0.1), (PRICE, 0.2)],
        ["Formula 1", "Motorsport", "Car Modification", "Motorcycles", "Electric Vehicles",
         "Classic Cars", "Off-Roading", "Pickup Trucks"]),
];

#[rustfmt::skip]
static OBJECTIVES: &[PoolGroup] = &[
    group!("Awareness Objectives", [(CULTURE, 0.6), (YOUTH, 0.5), (PRICE, 0.2)],
        ["Brand awareness", "Reach", "Video views", "Ad recall lift"]),
    group!("Consideration Objectives", [(TECH, 0.5), (BIZ, 0.3), (YOUTH, 0.2)],
        ["Traffic", "Engagement", "App promotion", "Lead generation", "Messages"]),
    group!("Conversion Objectives", [(PRICE, -0.5), (FAMILY, 0.3), (FOOD, 0.3)],
        ["Conversions", "Catalog sales", "Store traffic"]),
];

#[rustfmt::skip]
static BUYING_TYPES: &[PoolGroup] = &[
    group!("Auction Buying", [(PRICE, -0.4), (TECH, 0.3)], ["Auction"]),
    group!("Guaranteed Buying", [(PRICE, 0.6), (BIZ, 0.3), (CULTURE, 0.3)],
        ["Reservation", "Reach and frequency"]),
];

#[rustfmt::skip]
static DEVICES: &[PoolGroup] = &[
    group!("Premium Devices", [(PRICE, 0.7), (BEAUTY, 0.3), (BIZ, 0.2)],
        ["mobile app iphone", "mobile web iphone", "ipad", "desktop mac"]),
    group!("Android and Budget Mobile", [(PRICE, -0.7), (YOUTH, 0.4)],
        ["mobile app android", "mobile web android", "android tablet", "feature phone"]),
    group!("Desktop and TV", [(FAMILY, 0.6), (BIZ, 0.4), (YOUTH, -0.3), (CULTURE, 0.3)],
        ["desktop windows", "connected tv", "smart tv app", "game console"]),
    group!("Emerging Devices", [(TECH, 1.0), (YOUTH, 0.5), (SPORT, 0.3)],
        ["smartwatch", "vr headset", "in-car display"]),
];

#[rustfmt::skip]
static GENDER_GENERATION: &[PoolGroup] = &[
    group!("Younger Generations", [(YOUTH, 1.0), (TECH, 0.4), (CULTURE, 0.4)],
        ["Gen Alpha", "Gen Z", "Millennials"]),
    group!("Older Generations", [(YOUTH, -1.0), (FAMILY, 0.4), (PRICE, 0.3)],
        ["Gen X", "Baby Boomers", "Silent Generation"]),
    group!("Female-Skewed", [(BEAUTY, 1.0), (FAMILY, 0.3)], ["Female", "Non-binary"]),
    group!("Male-Skewed", [(BEAUTY, -0.8), (SPORT, 0.5), (TECH, 0.3)], ["Male", "Unknown gender"]),
];

#[rustfmt::skip]
static BILLING_EVENTS: &[PoolGroup] = &[
    group!("View-Based Billing", [(CULTURE, 0.6), (YOUTH, 0.4)],
        ["Impressions", "Thruplay", "Two-second continuous video views"]),
    group!("Click-Based Billing", [(PRICE, -0.4), (TECH, 0.4), (BIZ, 0.3)],
        ["Link clicks", "Listing interactions", "App installs"]),
    group!("Engagement-Based Billing", [(YOUTH, 0.5), (BEAUTY, 0.3), (BIZ, -0.3)],
        ["Page likes", "Post engagement"]),
];

#[rustfmt::skip]
static COST_MODELS: &[PoolGroup] = &[
    group!("Automatic Bidding", [(PRICE, -0.3), (YOUTH, 0.3)],
        ["Automatic objective", "Lowest cost"]),
    group!("Capped Bidding", [(BIZ, 0.6), (TECH, 0.3)],
        ["Cost cap", "Bid cap", "Target cost", "Minimum ROAS"]),
    group!("Fixed Pricing", [(PRICE, 0.5), (FAMILY, 0.3)], ["Fixed CPM", "Fixed CPC"]),
];
