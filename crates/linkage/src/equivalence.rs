//! Name equivalences: nicknames, short forms and transliteration variants.
//!
//! Each group below lists spellings of one name that people use for the same person. A name
//! may sit in several groups (`ALEX` is short for `ALEXANDER` and `ALEJANDRO`); two names are
//! equivalent when they share a group. Sources: common English hypocoristics, Spanish
//! apodos, Slavic diminutives, and romanisation variants of Arabic, Vietnamese, Korean,
//! Chinese and South Asian names. The table is data, documented in `docs/linkage.md`;
//! extending it never needs a code change.

use rustc_hash::FxHashMap as HashMap;
use std::sync::LazyLock;

/// One group per line, spellings separated by spaces.
pub const GROUPS: &str = "\
ROBERT BOB ROB BOBBY ROBBIE BERT
WILLIAM BILL WILL BILLY WILLIE LIAM
RICHARD RICK RICH DICK RICKY
JAMES JIM JIMMY JAMIE
JOHN JACK JOHNNY JON
MICHAEL MIKE MICKEY MICK
JOSEPH JOE JOEY
THOMAS TOM TOMMY
CHARLES CHARLIE CHUCK CHAS
CHRISTOPHER CHRIS KIT
DANIEL DAN DANNY
MATTHEW MATT
ANTHONY TONY
DONALD DON DONNIE
STEVEN STEPHEN STEVE
ANDREW ANDY DREW
JOSHUA JOSH
KENNETH KEN KENNY
EDWARD ED EDDIE TED TEDDY
TIMOTHY TIM TIMMY
NICHOLAS NICK NICKY
JONATHAN JON
SAMUEL SAM SAMMY
BENJAMIN BEN BENNY
ALEXANDER ALEX AL SASHA ALEKSANDR OLEKSANDR ALEKSANDER
PATRICK PAT
GREGORY GREG
RAYMOND RAY
LAWRENCE LARRY
GERALD JERRY
PETER PETE PIOTR PETR PYOTR
ELIZABETH LIZ BETH BETSY LIZZIE ELIZA BETTY
PATRICIA PAT PATTY TRISH
JENNIFER JENNY JEN
MARGARET PEGGY MAGGIE MEG
KATHERINE CATHERINE KATE KATHY CATHY KATIE KATYA EKATERINA
KIMBERLY KIM
DEBORAH DEBRA DEBBIE
REBECCA BECKY
SAMANTHA SAM
SUSAN SUE SUZY
VICTORIA VICKY
CHRISTINE CHRISTINA CHRIS TINA
FRANCISCO PACO PANCHO FRANK FRANCIS
JOSE PEPE CHEPE
GUADALUPE LUPE
ALEJANDRO ALEX
ROBERTO BETO
ALBERTO BETO
EDUARDO LALO
ENRIQUE KIKE HENRY
IGNACIO NACHO
JESUS CHUY
MANUEL MANOLO MANNY
CONSUELO CHELO
DOLORES LOLA
ROSARIO CHARO
DMITRI DMITRY DIMA
MIKHAIL MISHA
NATALIA NATASHA
SERGEI SERGEY SERHIY
ALEKSEI ALEXEI ALEXEY
YULIA JULIA IULIIA
TATIANA TATYANA
MOHAMMED MUHAMMAD MOHAMED MOHAMMAD MUHAMMED MOHAMAD
AHMED AHMAD
HUSSEIN HUSSAIN HUSEIN HOSSEIN
YOUSSEF YOUSEF YUSUF JOSEPH
KHALED KHALID
MAHMOUD MAHMUD
MUSTAFA MOSTAFA
ABDULLAH ABDALLAH
FATIMA FATIMAH FATMA
AISHA AYESHA AICHA
MARYAM MARIAM MARIA MARY
ZAINAB ZEINAB
OMAR OMER UMAR
NGUYEN NGUYN NGUEN NGYUEN
TRAN TRANH
HUYNH HUINH
PHAM FAM
CHOI CHOY
PARK PAK BAK
LEE YI RHEE
JUNG CHUNG JEONG
KANG GANG
ZHANG CHANG
ZHOU CHOU
XU HSU
CHEN CHAN
HUANG WONG
WU NG
CHOWDHURY CHOUDHURY CHAUDHARI CHAUDHRY
OLUWASEUN OLUSEUN SEUN
IBRAHIMA IBRAHIM ABRAHAM
IVANOV IWANOW
SHEVCHENKO SCHEVCHENKO";

/// Every spelling mapped to the groups it belongs to.
static INDEX: LazyLock<HashMap<&'static str, Vec<u16>>> = LazyLock::new(|| {
    let mut map: HashMap<&'static str, Vec<u16>> = HashMap::default();
    for (g, line) in GROUPS.lines().enumerate() {
        for name in line.split_whitespace() {
            map.entry(name).or_default().push(g as u16);
        }
    }
    map
});

/// Whether two folded names are spellings of one name in the table.
pub fn equivalent(a: &str, b: &str) -> bool {
    match (INDEX.get(a), INDEX.get(b)) {
        (Some(x), Some(y)) => x.iter().any(|g| y.contains(g)),
        _ => false,
    }
}

/// The groups a name belongs to (empty if none); used as blocking keys.
pub fn groups(a: &str) -> &'static [u16] {
    INDEX.get(a).map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nicknames_and_transliterations_are_equivalent() {
        assert!(equivalent("ROBERT", "BOB"));
        assert!(equivalent("FRANCISCO", "PACO"));
        assert!(equivalent("MOHAMMED", "MUHAMMAD"));
        assert!(equivalent("ALEX", "ALEJANDRO") && equivalent("ALEX", "ALEXANDER"));
        assert!(!equivalent("ROBERT", "WILLIAM"));
        assert!(
            !equivalent("ZED", "ZED"),
            "names outside the table are compared as strings elsewhere"
        );
    }
}
