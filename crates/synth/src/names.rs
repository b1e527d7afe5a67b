//! Name tables per origin, and the equivalences requesters' spellings draw on.
//!
//! Each origin lists its common family and given names in rough order of frequency; the
//! generator draws from them with Zipf weights (see `docs/synth.md`) and, for origins whose
//! real surname distribution has a long tail, adds surnames composed from syllables. Names
//! with spaces are written with `_` here (`DE_LA_CRUZ`).

/// Where a person's names come from; decides name tables, surname customs and TIN kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Origin {
    /// English-language names.
    Anglo,
    /// Spanish-language names, usually two surnames (paternal, maternal).
    Hispanic,
    /// Chinese (pinyin) names.
    Chinese,
    /// Vietnamese names (very concentrated surnames).
    Vietnamese,
    /// Korean names (very concentrated surnames, hyphenated given names).
    Korean,
    /// South Asian names.
    SouthAsian,
    /// Arabic names (transliteration variants, `AL` particles).
    Arabic,
    /// West African names.
    WestAfrican,
    /// Slavic names.
    Slavic,
}

impl Origin {
    /// Every origin.
    pub const ALL: [Origin; 9] = [
        Origin::Anglo,
        Origin::Hispanic,
        Origin::Chinese,
        Origin::Vietnamese,
        Origin::Korean,
        Origin::SouthAsian,
        Origin::Arabic,
        Origin::WestAfrican,
        Origin::Slavic,
    ];

    /// The label used in truth files.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Anglo => "anglo",
            Origin::Hispanic => "hispanic",
            Origin::Chinese => "chinese",
            Origin::Vietnamese => "vietnamese",
            Origin::Korean => "korean",
            Origin::SouthAsian => "south_asian",
            Origin::Arabic => "arabic",
            Origin::WestAfrican => "west_african",
            Origin::Slavic => "slavic",
        }
    }

    /// The name tables of this origin.
    pub fn tables(self) -> &'static NameTables {
        &TABLES[self as usize]
    }
}

/// The names of one origin.
pub struct NameTables {
    /// Family names, most frequent first.
    pub family: &'static str,
    /// Male given names, most frequent first.
    pub male: &'static str,
    /// Female given names, most frequent first.
    pub female: &'static str,
    /// Zipf exponent of the family-name distribution (higher: more concentrated).
    pub family_skew: f64,
    /// Share of people whose surname comes from the syllable-composed long tail.
    pub tail_share: f64,
    /// Syllables the long tail composes (two or three of them).
    pub syllables: &'static str,
}

static TABLES: [NameTables; 9] = [
    NameTables {
        family: "SMITH JOHNSON WILLIAMS BROWN JONES MILLER DAVIS WILSON ANDERSON TAYLOR THOMAS MOORE MARTIN JACKSON THOMPSON WHITE HARRIS CLARK LEWIS ROBINSON WALKER YOUNG ALLEN KING WRIGHT SCOTT HILL GREEN ADAMS BAKER NELSON CARTER MITCHELL ROBERTS TURNER PHILLIPS CAMPBELL PARKER EVANS EDWARDS COLLINS STEWART MORRIS MURPHY COOK ROGERS MORGAN COOPER PETERSON BAILEY REED KELLY HOWARD COX WARD RICHARDSON WATSON BROOKS WOOD JAMES BENNETT GRAY HUGHES PRICE SANDERS MYERS LONG ROSS FOSTER POWELL JENKINS PERRY RUSSELL SULLIVAN BELL COLEMAN BUTLER HENDERSON BARNES FISHER O'BRIEN MCDONALD",
        male: "JAMES ROBERT JOHN MICHAEL WILLIAM DAVID RICHARD JOSEPH THOMAS CHARLES CHRISTOPHER DANIEL MATTHEW ANTHONY MARK DONALD STEVEN PAUL ANDREW JOSHUA KENNETH KEVIN BRIAN GEORGE TIMOTHY RONALD EDWARD JASON JEFFREY RYAN JACOB GARY NICHOLAS ERIC JONATHAN STEPHEN LARRY JUSTIN SCOTT BRANDON BENJAMIN SAMUEL GREGORY ALEXANDER PATRICK FRANK RAYMOND JACK DENNIS JERRY TYLER AARON HENRY",
        female: "MARY PATRICIA JENNIFER LINDA ELIZABETH BARBARA SUSAN JESSICA SARAH KAREN LISA NANCY BETTY MARGARET SANDRA ASHLEY KIMBERLY EMILY DONNA MICHELLE CAROL AMANDA DOROTHY MELISSA DEBORAH STEPHANIE REBECCA SHARON LAURA CYNTHIA KATHLEEN AMY ANGELA SHIRLEY ANNA BRENDA PAMELA EMMA NICOLE HELEN SAMANTHA KATHERINE CHRISTINE DEBRA RACHEL CAROLYN JANET CATHERINE MARIA HEATHER",
        family_skew: 0.9,
        tail_share: 0.45,
        syllables: "ASH BUR CAL DEN ELL FAR GOR HAL KEN LAN MOR NOR PEN RAD SHER STAN THORN WAL WIN FORD TON LEY WOOD FIELD BROOK WELL HAM WORTH BY DALE",
    },
    NameTables {
        family: "GARCIA RODRIGUEZ MARTINEZ HERNANDEZ LOPEZ GONZALEZ PEREZ SANCHEZ RAMIREZ TORRES FLORES RIVERA GOMEZ DIAZ REYES MORALES CRUZ ORTIZ GUTIERREZ CHAVEZ RAMOS RUIZ ALVAREZ MENDOZA VASQUEZ CASTILLO JIMENEZ MORENO ROMERO HERRERA MEDINA AGUILAR VARGAS GUZMAN MENDEZ MUNOZ SALAZAR GARZA SOTO VAZQUEZ ALVARADO DELGADO PENA CONTRERAS SANDOVAL GUERRERO RIOS ESTRADA ORTEGA NUNEZ MALDONADO DOMINGUEZ VEGA ESPINOZA ROJAS MARQUEZ PADILLA MEJIA JUAREZ FIGUEROA DE_LA_CRUZ DE_LEON DEL_RIO DE_JESUS DE_LOS_SANTOS CARDENAS ACOSTA CAMPOS NAVARRO LUNA MOLINA CABRERA IBARRA",
        male: "JOSE JUAN LUIS CARLOS JESUS FRANCISCO ANTONIO MIGUEL JORGE PEDRO MANUEL ALEJANDRO RICARDO FERNANDO ROBERTO JAVIER RAFAEL DANIEL EDUARDO SERGIO MARIO ARTURO RAUL ENRIQUE OSCAR VICTOR ALBERTO ROBERTO GUILLERMO HECTOR ANGEL RAMON GERARDO ALFREDO ARMANDO ERNESTO IGNACIO RUBEN SALVADOR ANDRES GUSTAVO JULIO CESAR DIEGO",
        female: "MARIA GUADALUPE ANA JUANA ROSA MARGARITA VERONICA ELIZABETH LETICIA CARMEN MARTHA PATRICIA ALEJANDRA GABRIELA SILVIA ADRIANA CLAUDIA LAURA YOLANDA BLANCA SANDRA TERESA LUCIA ISABEL DANIELA ANDREA FERNANDA SOFIA VALERIA CAROLINA MONICA ELENA BEATRIZ LORENA ESPERANZA ROCIO DOLORES PAOLA XIMENA JIMENA CONSUELO CRISTINA NORMA",
        family_skew: 0.85,
        tail_share: 0.3,
        syllables: "AL BA CA DA GA LA MA NA RA SA TA VA ZA BE CE DE LE ME NE RE TE VE ZE LI RI TI NO RO TO SO",
    },
    NameTables {
        family: "WANG LI ZHANG LIU CHEN YANG HUANG ZHAO WU ZHOU XU SUN MA ZHU HU GUO HE GAO LIN LUO ZHENG LIANG XIE SONG TANG HAN FENG DENG CAO PENG ZENG XIAO TIAN DONG YUAN PAN CAI JIANG YU DU YE CHENG WEI SU LU DING REN SHEN YAO",
        male: "WEI JUN HAO LEI JIAN MING QIANG YONG JIE TAO CHAO BIN GANG PENG HUI LONG XIN BO FENG YU CHENG KAI ZHIWEI HAORAN ZIHAO YUXUAN JUNJIE JIANHUA XIAOMING WENJIE ZHIQIANG JIANGUO DONGMEI YIFAN TIANYU SHENG HONG LIANG",
        female: "LI FANG NA MIN JING LING YAN XIU JUAN YING HONG MEI LAN XIA QIAN YUN TING XUE HUI WEN XIAOHONG XIAOYAN LIHUA YUTONG ZIHAN MENGYAO XINYI JIAYI SHUANG LIJUAN HUIMIN YUE JIN QING ROU",
        family_skew: 1.05,
        tail_share: 0.0,
        syllables: "",
    },
    NameTables {
        family: "NGUYEN TRAN LE PHAM HOANG HUYNH PHAN VU VO DANG BUI DO HO NGO DUONG LY TRUONG DINH LAM MAI TRINH LUONG DAO CAO TA HA",
        male: "MINH DUC ANH TUAN HUNG DUNG HAI LONG NAM THANH QUANG SON TRUNG HIEU KHANH PHUC BAO THANG VINH HUY TAI LOC TIEN CUONG DAT",
        female: "LINH HUONG LAN MAI HOA THAO TRANG NGOC HANH PHUONG THUY HIEN DUNG VAN YEN NHUNG TAM TUYET LIEN THU OANH NGA KIM",
        family_skew: 1.5,
        tail_share: 0.0,
        syllables: "",
    },
    NameTables {
        family: "KIM LEE PARK CHOI JUNG KANG CHO YOON JANG LIM HAN OH SEO SHIN KWON HWANG AHN SONG JEON HONG YOO KO MOON YANG SON BAE BAEK HEO NAM",
        male: "MIN-JUN SEO-JUN JI-HOON DO-YUN JUN-HO HYUN-WOO SUNG-MIN JAE-HYUN DONG-HYUN YOUNG-HO SANG-WOO JIN-WOO TAE-YANG SEUNG-HO KYUNG-SOO JUNG-HO MIN-SOO SUNG-HO BYUNG-CHUL CHANG-MIN",
        female: "SEO-YEON JI-WOO HA-EUN SU-BIN MIN-JI JI-YEON EUN-JI SO-YEON HYE-JIN YOUNG-MI MI-KYUNG SUN-HEE JI-HYE EUN-YOUNG KYUNG-HEE MI-RAE SOO-JIN YEON-HEE JOO-YOUNG HYUN-JOO",
        family_skew: 1.25,
        tail_share: 0.0,
        syllables: "",
    },
    NameTables {
        family: "PATEL SHAH SINGH KUMAR SHARMA GUPTA REDDY RAO KHAN DESAI MEHTA JOSHI IYER NAIR CHOWDHURY AHMED RAHMAN HOSSAIN VERMA AGARWAL MALHOTRA KAPOOR BHATT CHOPRA PILLAI MENON KAUR THAKUR PANDEY MISHRA SRINIVASAN KRISHNAN SUBRAMANIAN BANERJEE CHATTERJEE MUKHERJEE DAS SEN GHOSH BOSE",
        male: "RAHUL AMIT RAJESH SANJAY VIJAY ARJUN ANIL SURESH RAVI MANOJ DEEPAK ASHOK KIRAN VIKRAM AJAY PRAKASH RAMESH SUNIL ARUN ROHIT NIKHIL KUNAL ADITYA KARAN VIVEK HARSH PRIYANK ABDUL MOHAMMED IMRAN",
        female: "PRIYA ANITA SUNITA POOJA NEHA DIVYA LAKSHMI KAVITA REKHA ANJALI MEERA SHREYA DEEPA SWATI NISHA ARCHANA GEETA ASHA USHA RADHA SANGEETA PREETI ANKITA SNEHA RUPA FATIMA NASREEN AYESHA SHABANA TASNIM",
        family_skew: 0.9,
        tail_share: 0.25,
        syllables: "RA MA NA KA SHA VA DA PA THA JA RI NI VI SU KU BHA CHA GA LA YA NAN KAR WAL DEV",
    },
    NameTables {
        family: "AHMED ALI HASSAN HUSSEIN IBRAHIM MAHMOUD MOHAMED ABDULLAH KHALIL SALEH YOUSSEF OMAR HAMID NASSER SAID AZIZ KARIM MANSOUR HADDAD HABIB RASHID FARAH SULEIMAN AL_SAYED AL_AHMAD AL_HASHEMI EL_AMIN ABDEL_RAHMAN ABU_BAKR AWAD BAKR DARWISH FAYED GHANEM JABER MASRI NAJJAR QASSEM SHAHEEN TAHA ZAKI",
        male: "MOHAMMED AHMED ALI OMAR HASSAN HUSSEIN IBRAHIM YOUSSEF KHALED MAHMOUD MUSTAFA ABDULLAH TAREK SAMIR KARIM AMIR FAISAL HAMZA BILAL ZIAD WALID NABIL JAMAL RAMI SAMI ADEL HISHAM YASSER MAJID RASHID",
        female: "FATIMA AISHA MARYAM ZAINAB LAYLA NOUR HANA SARA AMINA YASMIN RANIA DINA LINA SALMA MONA HUDA REEM NADIA SAMIRA LAMA RANA DANA HIBA MALAK JANA AYA RUBA SUHA WAFA NOHA",
        family_skew: 0.8,
        tail_share: 0.25,
        syllables: "AB AL BA DA FA HA JA KA MA NA QA RA SA TA ZA DI HI MI RI SI DUL DIN RAF SAN",
    },
    NameTables {
        family: "OKAFOR ADEYEMI MENSAH OWUSU DIALLO TRAORE KONE OUEDRAOGO BOATENG ASANTE OKONKWO OLUWASEUN ADEBAYO BALOGUN NWOSU EZE IBRAHIM SOW BA CAMARA TOURE KEITA COULIBALY DIOP NDIAYE FALL SARR ACHEAMPONG APPIAH OSEI ADJEI ANSAH OFORI DARKO AMOAH",
        male: "OLUWASEUN CHUKWUEMEKA KWAME KOFI KWAKU YAW EMEKA IBRAHIMA MAMADOU MOUSSA OUSMANE ABDOULAYE SEYDOU ADEBAYO TUNDE OLUMIDE CHIDI IFEANYI NNAMDI OBINNA SEKOU LAMINE BOUBACAR AMADOU KOJO",
        female: "ADAEZE NGOZI CHIAMAKA FOLAKE ABENA AKOSUA AMA ADJOA AISSATOU FATOUMATA MARIAM AMINATA KADIATOU OUMOU FUNMILAYO YETUNDE BUKOLA CHIOMA IFEOMA NKECHI EFUA ESI AWA BINTA",
        family_skew: 0.8,
        tail_share: 0.35,
        syllables: "A O E BA DE KO LA MA NA OLU ADE CHI NWA FO KU SE TU YE WU GBO",
    },
    NameTables {
        family: "KOWALSKI NOWAK WISNIEWSKI WOJCIK KOWALCZYK KAMINSKI LEWANDOWSKI ZIELINSKI SZYMANSKI WOZNIAK IVANOV PETROV SMIRNOV KUZNETSOV POPOV SOKOLOV LEBEDEV KOZLOV NOVAK HORVAT KOVAC MARKOVIC PETROVIC JOVANOVIC NIKOLIC SHEVCHENKO KOVALENKO BONDARENKO TKACHENKO KRAVCHENKO MELNYK VOLKOV MOROZOV PAVLOV SEMENOV",
        male: "IVAN DMITRI SERGEI ALEKSANDR ANDREI MIKHAIL NIKOLAI VLADIMIR PAVEL ALEKSEI PIOTR TOMASZ KRZYSZTOF PAWEL MAREK JAKUB MARKO STEFAN BORIS OLEKSANDR TARAS BOHDAN YURI OLEG VIKTOR JAN MILAN GORAN DRAGAN IGOR",
        female: "ANNA OLGA TATIANA NATALIA ELENA IRINA SVETLANA MARINA EKATERINA YULIA KATARZYNA AGNIESZKA MAGDALENA MALGORZATA JOANNA EWA OKSANA NADIYA IVANA MILICA JELENA SNEZANA DARIA ALINA VERA LUDMILA ZOFIA HANNA KSENIA POLINA",
        family_skew: 0.8,
        tail_share: 0.4,
        syllables: "KO VA LE NO PE RO SO TO ZA BRO DRA GRA KRA STRO WSKI VIC OV ENKO CZYK NIK",
    },
];

/// Middle-name customs: which given-name table a middle name comes from, and how often.
pub fn middle_name_rate(origin: Origin) -> f64 {
    match origin {
        Origin::Anglo => 0.7,
        Origin::Hispanic => 0.45,
        Origin::Vietnamese => 0.6,
        Origin::SouthAsian | Origin::Arabic | Origin::WestAfrican => 0.3,
        Origin::Slavic => 0.2,
        Origin::Chinese | Origin::Korean => 0.05,
    }
}

/// Vietnamese middle names are few and shared (`VAN` for men, `THI` for women).
pub const VIETNAMESE_MIDDLE_MALE: &[&str] = &["VAN", "DUC", "MINH", "QUOC", "HUU"];
/// See [`VIETNAMESE_MIDDLE_MALE`].
pub const VIETNAMESE_MIDDLE_FEMALE: &[&str] = &["THI", "NGOC", "THU", "KIM", "THANH"];

/// Nicknames and short forms a requester may use for a given name (formal → informal).
pub const NICKNAMES: &[(&str, &[&str])] = &[
    ("ROBERT", &["BOB", "ROB", "BOBBY"]),
    ("WILLIAM", &["BILL", "WILL", "BILLY"]),
    ("RICHARD", &["RICK", "DICK", "RICH"]),
    ("JAMES", &["JIM", "JIMMY"]),
    ("JOHN", &["JACK", "JOHNNY"]),
    ("MICHAEL", &["MIKE"]),
    ("JOSEPH", &["JOE"]),
    ("THOMAS", &["TOM", "TOMMY"]),
    ("CHARLES", &["CHARLIE", "CHUCK"]),
    ("CHRISTOPHER", &["CHRIS"]),
    ("DANIEL", &["DAN", "DANNY"]),
    ("MATTHEW", &["MATT"]),
    ("ANTHONY", &["TONY"]),
    ("DONALD", &["DON"]),
    ("STEVEN", &["STEVE"]),
    ("ANDREW", &["ANDY", "DREW"]),
    ("JOSHUA", &["JOSH"]),
    ("KENNETH", &["KEN"]),
    ("EDWARD", &["ED", "TED"]),
    ("TIMOTHY", &["TIM"]),
    ("NICHOLAS", &["NICK"]),
    ("JONATHAN", &["JON"]),
    ("SAMUEL", &["SAM"]),
    ("BENJAMIN", &["BEN"]),
    ("ALEXANDER", &["ALEX"]),
    ("PATRICK", &["PAT"]),
    ("GREGORY", &["GREG"]),
    ("ELIZABETH", &["LIZ", "BETH", "BETSY"]),
    ("PATRICIA", &["PATTY", "TRISH"]),
    ("JENNIFER", &["JENNY", "JEN"]),
    ("MARGARET", &["PEGGY", "MAGGIE"]),
    ("KATHERINE", &["KATE", "KATHY"]),
    ("CATHERINE", &["CATHY"]),
    ("KIMBERLY", &["KIM"]),
    ("DEBORAH", &["DEBBIE"]),
    ("REBECCA", &["BECKY"]),
    ("SAMANTHA", &["SAM"]),
    ("FRANCISCO", &["PACO", "PANCHO", "FRANK"]),
    ("JOSE", &["PEPE", "CHEPE"]),
    ("GUADALUPE", &["LUPE"]),
    ("ALEJANDRO", &["ALEX"]),
    ("ROBERTO", &["BETO"]),
    ("ALBERTO", &["BETO"]),
    ("EDUARDO", &["LALO"]),
    ("ENRIQUE", &["KIKE", "HENRY"]),
    ("IGNACIO", &["NACHO"]),
    ("JESUS", &["CHUY"]),
    ("MANUEL", &["MANOLO"]),
    ("CONSUELO", &["CHELO"]),
    ("DOLORES", &["LOLA"]),
    ("ALEKSANDR", &["SASHA"]),
    ("DMITRI", &["DIMA"]),
    ("MIKHAIL", &["MISHA"]),
    ("EKATERINA", &["KATYA"]),
    ("NATALIA", &["NATASHA"]),
];

/// Transliteration variants: each group spells one name several ways.
pub const TRANSLITERATIONS: &[&[&str]] = &[
    &["MOHAMMED", "MUHAMMAD", "MOHAMED", "MOHAMMAD", "MUHAMMED"],
    &["AHMED", "AHMAD"],
    &["HUSSEIN", "HUSSAIN", "HUSEIN"],
    &["YOUSSEF", "YOUSEF", "YUSUF"],
    &["KHALED", "KHALID"],
    &["MAHMOUD", "MAHMUD"],
    &["MUSTAFA", "MOSTAFA"],
    &["ABDULLAH", "ABDALLAH"],
    &["FATIMA", "FATIMAH", "FATMA"],
    &["AISHA", "AYESHA", "AICHA"],
    &["MARYAM", "MARIAM"],
    &["ZAINAB", "ZEINAB"],
    &["NGUYEN", "NGUYN", "NGUEN", "NGYUEN"],
    &["TRAN", "TRANH"],
    &["HUYNH", "HUINH"],
    &["PHAM", "FAM"],
    &["CHOI", "CHOY"],
    &["PARK", "PAK", "BAK"],
    &["LEE", "YI", "RHEE"],
    &["JUNG", "CHUNG", "JEONG"],
    &["KANG", "GANG"],
    &["ZHANG", "CHANG"],
    &["ZHOU", "CHOU"],
    &["XU", "HSU"],
    &["CHEN", "CHAN"],
    &["HUANG", "WONG"],
    &["WU", "NG"],
    &["CHOWDHURY", "CHOUDHURY", "CHAUDHARI"],
    &["SRINIVASAN", "SRINIVASAN"],
    &["OLUWASEUN", "OLUSEUN"],
    &["IBRAHIMA", "IBRAHIM"],
    &["ALEKSANDR", "ALEXANDER", "OLEKSANDR"],
    &["SERGEI", "SERGEY", "SERHIY"],
    &["ALEKSEI", "ALEXEI", "ALEXEY"],
    &["DMITRI", "DMITRY"],
    &["YULIA", "JULIA", "IULIIA"],
    &["TATIANA", "TATYANA"],
    &["PIOTR", "PETR", "PETER"],
    &["IVANOV", "IWANOW"],
    &["SHEVCHENKO", "SCHEVCHENKO"],
];

/// Letters a requester may write with a diacritic.
pub const ACCENTS: &[(char, char)] = &[
    ('A', 'Á'),
    ('E', 'É'),
    ('I', 'Í'),
    ('O', 'Ó'),
    ('U', 'Ú'),
    ('N', 'Ñ'),
    ('C', 'Ç'),
];

/// Splits a table string into names, `_` standing for a space.
pub fn split(list: &'static str) -> Vec<String> {
    list.split_whitespace()
        .map(|n| n.replace('_', " "))
        .collect()
}
