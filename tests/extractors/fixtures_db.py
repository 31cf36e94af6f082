"""A handful of source rows per system, the changes applied between loads, and what they must produce."""

from __future__ import annotations

ACADEMIC_ROWS = """
insert into dm_yxs values ('01','计算机学院','计院','1','1','2026-01-05 08:00:00'),
  ('02','外国语学院',null,'1','1','2026-01-05 08:00:00'), ('90','后勤处',null,'0','1','2026-01-04 09:30:00');
insert into kcxx values ('K001','高等数学',4.0,64,'03','01','2026-01-05 08:00:00'),
  ('K002','大学英语',2.5,null,'03','02','2026-01-05 08:00:00');
insert into xsjbsj values ('2023001','李雷','1','20050101','01','156','1','11010120050101001X','01','Z01','B01',2023,
  '2023-09-01','1','1','01','13800000000','2026-01-05 08:00:00'),
  ('2023002','韩梅梅','女','2005-03-04','01','156','1','110101200503040020','01','Z01','B01',2023,
  '2023-09-01','1','1','01',null,'2026-01-05 08:00:00');
insert into cjxx values (1,'2023001','J1','K001','2023-2024-1','85',3.50,'01','0','2026-01-05 08:00:00'),
  (2,'2023001','J2','K002','2023-2024-1','优秀',null,'01','0','2026-01-05 08:00:00'),
  (3,'2023002','J1','K001','2023-2024-1','缺考',0.00,'01','0','2026-01-05 08:00:00'),
  (4,'2023002','J2','K002','2023-2024-1','59.5',0.00,'02','1','2026-01-05 08:00:00');
"""

ACADEMIC_CHANGES = """
update cjxx set kscj = '90', gxsj = '2026-06-01 10:00:00' where cjid = 1;
update dm_yxs set yxsmc = '计算机与人工智能学院', gxsj = '2026-06-01 10:00:00' where yxsh = '01';
insert into cjxx values (5,'2023002','J3','K001','2023-2024-2','72',2.20,'01','0','2026-06-01 10:00:00');
delete from cjxx where cjid = 3;
alter table kcxx add column bz varchar(20);
update kcxx set bz = '新课', gxsj = '2026-06-01 10:00:01' where kch = 'K002';
"""

#: table -> {op: [key text]} after ACADEMIC_CHANGES
ACADEMIC_EXPECTED = {
    "cjxx": {"U": ["1"], "I": ["5"], "D": ["3"]},
    "dm_yxs": {"U": ["01"]},
    "kcxx": {"U": ["K002"]},
}

HR_ROWS = """
insert into zzjg values ('01','计算机学院',null,'01','2001-09-01',null,'2026-01-05 08:00:00'),
  ('90','后勤处',null,'04',null,null,'2026-01-05 08:00:00');
insert into jzgjbxx values ('T001','张三','1','1980-05-06','01','1','110101198005060013','01','01','1','012','11','2','1',
  '2005-07-01',null,'01','2026-01-05 08:00:00'),
  ('T002','李四','2','1990-11-30','03','1','11010119901130002X','01','01','2','013','14','3',null,
  '2018-09-01',null,'01','2026-01-05 08:00:00');
insert into zcbd values (1,'T001',null,'013','2005-07-01','2026-01-05 08:00:00'),
  (2,'T001','013','012','2012-12-01','2026-01-05 08:00:00');
insert into gzff values (1,'T001','202601',5000.00,3000.50,null,8000.50,500.00,7500.50,'2026-01-05 08:00:00'),
  (2,'T002','202601',4000.00,2000.00,300.00,6300.00,400.00,5900.00,'2026-01-05 08:00:00');
"""

HR_CHANGES = """
update gzff set jxgz = 3100.50, yfhj = 8100.50, sfhj = 7600.50, gxsj = '2026-06-01 10:00:00' where ffid = 1;
insert into gzff values (3,'T001','202602',5000.00,3000.00,null,8000.00,500.00,7500.00,'2026-06-01 10:00:00');
delete from zzjg where dwh = '90';
alter table jzgjbxx add column bz varchar(20);
update jzgjbxx set bz = '返聘', gxsj = '2026-06-01 10:00:01' where gh = 'T002';
"""

HR_EXPECTED = {
    "gzff": {"U": ["1"], "I": ["3"]},
    "zzjg": {"D": ["90"]},
    "jzgjbxx": {"U": ["T002"]},
}

FIXTURES = {
    "academic": (ACADEMIC_ROWS, ACADEMIC_CHANGES, ACADEMIC_EXPECTED),
    "hr": (HR_ROWS, HR_CHANGES, HR_EXPECTED),
}
